// Package netns is spacelab's data plane: it makes Linux network namespaces match a
// netspec.Spec and runs things inside them.
//
// Everything lives in one sandbox: a child process in its own user, network, mount and PID
// namespaces, started by Start. Inside it every host of the spec is a further network namespace
// joined to others by veth pairs; routes and policy rules are kernel routes set over netlink;
// packet filters are nftables tables; the built-in services (package services) are goroutines
// with sockets opened inside the host's namespace; commands run by Exec are real processes in it.
// The sandbox's own network namespace has only a loopback device, so nothing inside can reach
// the host's network, and the only doors are the Unix sockets Start hands it.
//
// Nothing outlives the sandbox process: it is PID 1 of its PID namespace (the kernel kills every
// process inside when it exits), it dies with its parent (PR_SET_PDEATHSIG) and when its control
// socket closes, and namespaces are held only by its file descriptors and processes. No
// namespace is ever mounted under /run/netns, no link is created in the caller's namespace.
//
// Inside a container (root, with the runtime's masked /proc) the sandbox is the same minus the
// user namespace, which the container's /proc would not let it use; see sandboxMode. It needs
// CAP_NET_ADMIN and CAP_SYS_ADMIN there (docker run --cap-add NET_ADMIN --cap-add SYS_ADMIN),
// never --privileged.
//
// Requirements: Linux with unprivileged user namespaces, or root. Tests that need them call
// RequireSandbox, which skips without them and fails under CI=true:
//
//	go test ./netns/
//
// Binaries that use Start must let the package intercept its re-executions: call Main() first
// thing in main (tests get this through the package's init).
package netns
