// Package ipsec is a site-to-site IPsec gateway written from the RFCs: IKEv1 (ISAKMP, RFC 2408;
// IKE, RFC 2409; IPsec DOI, RFC 2407) with Main Mode and pre-shared keys, Quick Mode with
// optional PFS, informational exchanges (notify, delete, dead peer detection, RFC 3706), NAT
// traversal (RFC 3947, 3948) and a user-space ESP data plane (RFC 4303, AES-CBC RFC 3602,
// HMAC-SHA-1-96 RFC 2404, HMAC-SHA-256-128 RFC 4868, anti-replay in the style of RFC 6479).
//
// It exists because the kernels spacelab runs on have no ESP: inner packets are read from and
// written to a layer-3 packet device (a TUN device in a spacelab host), and ESP always travels
// inside UDP on port 4500. Like strongSwan's kernel-libipsec, the gateway forces UDP
// encapsulation by announcing a NAT-D hash that cannot match, so both sides float to port 4500
// at Main Mode message 5 whatever the path looks like.
//
// The pieces, each in the file of its name: isakmp.go (the wire codec), proposal.go and
// policy.go (what is offered and accepted, Heroku's suite by default), crypto.go (PRF, key
// derivation, Diffie-Hellman, ciphers), mainmode.go, quickmode.go, informational.go, natt.go,
// esp.go (packet transforms and the replay window), sa.go (the security associations),
// endpoint.go (one tunnel's state machine: initiator and responder, retransmission, rekeying,
// DPD, status), gateway.go (several tunnels over one packet device), conn.go (the UDP sockets,
// batched with recvmmsg/sendmmsg where the platform has them).
//
// Everything talks to small interfaces (Conn for a UDP port, Device for inner packets), so
// tunnels between two gateways run in plain go test with the in-memory doubles of package
// ipsectest. Interoperability with strongSwan 5.9 is tested inside a spacelab sandbox.
//
// Status: every tunnel reports UP or DOWN with a message that names the cause as soon as the
// protocol shows it (an IKEv2 offer, a refused proposal in phase 1 or 2 with both sides'
// suites, a pre-shared key that does not decrypt message 5/6, no answer on UDP 500/4500, a
// dead peer), and counts what it dropped and why.
//
// The data path: the gateway reads batches of inner packets from the device (a spacelab TUN
// device hands over TCP super-packets and takes coalesced ones back), encrypts them in place
// (on amd64 AES-CBC and HMAC in one pass, or sixteen packets of one SA side by side with
// AVX-512: stitch.go; large batches on two cores), and sends them with one sendmmsg; the other
// way, one recvmmsg, the packets of each SA authenticated side by side and decrypted in place,
// one batched write. Nothing is allocated per packet. Measure it with
//
//	go test ./ipsec/ -run XXX -bench 'ESP|AESCBC|GatewayThroughput|Establish'   # ESPBatch: sixteen lanes vs one pass
//	SPACELAB_IPSEC_BENCH=1 go test ./ipsec/ -run IperfThroughput -v   # iperf3 through Go, strongSwan, nothing
package ipsec
