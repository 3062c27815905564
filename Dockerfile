# A container image with `nimbus` as its entry point:
#
#   docker build -t nimbus .
#   docker run --rm -v "$PWD:/work" nimbus plan
#
# The binary is linked statically against musl, so the final image needs no
# libc: distroless/static adds only CA certificates (for the AWS provider's
# TLS), /tmp and a non-root user.
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p nimbus-cli \
 && cp target/release/nimbus /nimbus

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /nimbus /usr/local/bin/nimbus
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/nimbus"]
CMD ["--help"]
