package importer

import "slices"

// keyIndex remembers, for every key that landed in a file, its line and outcome, in about
// twelve bytes a key (a Go map takes three times that): a sorted run of key hashes searched
// by halving, beside a small map of the latest keys that is merged into the run in place
// whenever it fills. A million-row file's keys take some 15 MB.
type keyIndex struct {
	hashes []uint64 // sorted
	vals   []uint32
	recent map[uint64]uint32
}

// recentMax is how many keys wait in the map before they are merged into the run.
const recentMax = 1 << 16

func newKeyIndex() *keyIndex { return &keyIndex{recent: map[uint64]uint32{}} }

func (k *keyIndex) get(h uint64) (uint32, bool) {
	if v, ok := k.recent[h]; ok {
		return v, true
	}
	if i, ok := slices.BinarySearch(k.hashes, h); ok {
		return k.vals[i], true
	}
	return 0, false
}

func (k *keyIndex) put(h uint64, v uint32) {
	if i, ok := slices.BinarySearch(k.hashes, h); ok {
		k.vals[i] = v
		return
	}
	k.recent[h] = v
	if len(k.recent) >= recentMax {
		k.merge()
	}
}

// merge moves the recent keys into the sorted run, from the back, so that nothing but the
// run's own growth is allocated.
func (k *keyIndex) merge() {
	keys := make([]uint64, 0, len(k.recent))
	for h := range k.recent {
		keys = append(keys, h)
	}
	slices.Sort(keys)
	old, n := len(k.hashes), len(keys)
	k.hashes = slices.Grow(k.hashes, n)[:old+n]
	k.vals = slices.Grow(k.vals, n)[:old+n]
	i, j := old-1, n-1
	for w := old + n - 1; j >= 0; w-- {
		if i >= 0 && k.hashes[i] > keys[j] {
			k.hashes[w], k.vals[w] = k.hashes[i], k.vals[i]
			i--
		} else {
			k.hashes[w], k.vals[w] = keys[j], k.recent[keys[j]]
			j--
		}
	}
	clear(k.recent)
}
