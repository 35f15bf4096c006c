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
# Ready means the first convergence is done and both APIs answer.
HEALTHCHECK --interval=1s --timeout=5s --start-period=60s --retries=3 \
    CMD ["spacelab", "status"]
ENTRYPOINT ["spacelab"]
CMD ["up", "--heroku-listen", "0.0.0.0:5400", "--aws-listen", "0.0.0.0:5401"]
