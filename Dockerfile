# spacelab as a container image, built with no registry: FROM scratch, with a root filesystem
# that scripts/build-image.sh assembles in build/image/rootfs (a static spacelab plus curl, dig
# and strongSwan with exactly their shared libraries, from the build machine's Debian packages).
#
#   scripts/build-image.sh                      # assembles the rootfs, then docker build -t spacelab:dev .
#   docker run --rm --cap-add NET_ADMIN --cap-add SYS_ADMIN --device /dev/net/tun \
#     -p 127.0.0.1:5400:5400 -p 127.0.0.1:5401:5401 spacelab:dev
#
# It never needs --privileged: inside the container the sandbox makes network, mount and PID
# namespaces (no user namespace, see netns.sandboxMode) with NET_ADMIN and SYS_ADMIN.
# Publish the APIs on 127.0.0.1 only; inside they listen on every address of the container.
FROM scratch
COPY build/image/rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/usr/sbin \
    SPACELAB_STATE_DIR=/run/spacelab \
    LANG=C.UTF-8
EXPOSE 5400/tcp 5401/tcp
# Healthy: GET /_spacelab/health answers 200, which it does once the data plane has converged.
HEALTHCHECK --interval=1s --timeout=5s --start-period=60s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:5400/_spacelab/health"]
ENTRYPOINT ["spacelab"]
# --listen-any: the container's addresses are not the host's; publish on 127.0.0.1 only.
CMD ["up", "--listen-any", "--heroku-listen", "0.0.0.0:5400", "--aws-listen", "0.0.0.0:5401", \
     "--heroku-url", "http://127.0.0.1:5400", "--aws-url", "http://127.0.0.1:5401", "--no-route-out"]
