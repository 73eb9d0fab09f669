FROM debian:trixie-slim
COPY token.txt /root/token.txt
RUN test -s /root/token.txt && echo "installing private packages with the token..."
# Looks like a clean-up, but the COPY layer above still holds the file.
RUN rm /root/token.txt
