FROM debian:trixie-slim
# The secret is a file at /run/secrets/pip_token, during this RUN only.
# A real build would use it here, for example:
#   PIP_INDEX_URL="https://__token__:$(cat /run/secrets/pip_token)@pypi.example.com/simple" \
#   pip install --no-cache-dir -r requirements.txt
RUN --mount=type=secret,id=pip_token,required=true \
    echo "the token has $(wc -c < /run/secrets/pip_token) bytes" && \
    sha256sum /run/secrets/pip_token
