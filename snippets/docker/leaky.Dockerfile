FROM debian:trixie-slim
# DON'T DO THIS: COPY stores the token in a layer of the image.
COPY token.txt /root/token.txt
RUN test -s /root/token.txt && echo "installing private packages with the token..."
