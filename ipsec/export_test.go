package ipsec

// DHExchange is one Diffie-Hellman exchange of group g as both ends compute it (a key pair
// each, then each one's shared secret): the arithmetic floor of an IKE establishment, for
// BenchmarkEstablish's peer.
func DHExchange(g Group) error {
	a, err := newDHKey(g)
	if err != nil {
		return err
	}
	b, err := newDHKey(g)
	if err != nil {
		return err
	}
	if _, err := a.shared(b.public); err != nil {
		return err
	}
	_, err = b.shared(a.public)
	return err
}
