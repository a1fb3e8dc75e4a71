package scriptengine_test

import "iter"

// iterPull adapts iter.Pull2 to the runner's (value, err, ok) shape.
func iterPull[V any](seq iter.Seq2[V, error]) (func() (V, error, bool), func()) {
	next, stop := iter.Pull2(seq)
	return next, stop
}
