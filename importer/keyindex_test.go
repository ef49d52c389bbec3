package importer

import (
	"math/rand/v2"
	"testing"
)

// B4: the compact index of landed keys answers as a map would, across many merges.
func TestB4_KeyIndex(t *testing.T) {
	k := newKeyIndex()
	want := map[uint64]uint32{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 10*recentMax + 123 {
		h := r.Uint64() % (4 * recentMax) // repeats, so that updates hit both the map and the run
		k.put(h, uint32(i))
		want[h] = uint32(i)
	}
	for h, v := range want {
		if got, ok := k.get(h); !ok || got != v {
			t.Fatalf("key %d: %d %v, want %d", h, got, ok, v)
		}
	}
	if _, ok := k.get(1 << 63); ok {
		t.Fatal("an absent key was found")
	}
}
