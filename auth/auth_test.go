package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Passwords are hashed with argon2id at OWASP's parameters and verified in constant time.
func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash format: %s", h)
	}
	if !VerifyPassword(h, "correct horse battery") {
		t.Fatal("the right password does not verify")
	}
	for _, wrong := range []string{"", "correct horse batterY", "correct horse battery "} {
		if VerifyPassword(h, wrong) {
			t.Fatalf("%q verifies", wrong)
		}
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=19456,t=2,p=1$x$y", "$bcrypt$...", strings.Replace(h, "t=2", "t=99", 1)} {
		if VerifyPassword(bad, "correct horse battery") {
			t.Fatalf("a malformed hash verifies: %q", bad)
		}
	}
	for _, pw := range []string{"short", strings.Repeat("x", MaxPasswordLen+1), "bad\xffutf8!"} {
		if _, err := HashPassword(pw); err == nil {
			t.Errorf("password %q accepted", pw)
		}
	}
}

// The limiter allows a burst per key, then one per interval; a limited key costs the others
// nothing.
func TestLimiter(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	l := NewLimiter(3, time.Minute)
	l.Now = func() time.Time { return now }
	for i := range 3 {
		if ok, _, _ := l.Allow(ctx, "ip:1", "addr:a"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	ok, wait, _ := l.Allow(ctx, "ip:1", "addr:a")
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("4th attempt: %v %v", ok, wait)
	}
	// Another client for the same address is limited too; another address from a fresh
	// client is not.
	if ok, _, _ := l.Allow(ctx, "ip:2", "addr:a"); ok {
		t.Fatal("the address limit does not hold across clients")
	}
	if ok, _, _ := l.Allow(ctx, "ip:3", "addr:b"); !ok {
		t.Fatal("an unrelated attempt was refused")
	}
	now = now.Add(time.Minute)
	if ok, _, _ := l.Allow(ctx, "ip:1", "addr:a"); !ok {
		t.Fatal("no attempt after the interval")
	}
}

func TestSecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := NewSecret(32)
		if len(s) != 43 || seen[s] {
			t.Fatalf("secret %q", s)
		}
		seen[s] = true
	}
}

// BenchmarkVerifyPassword measures one login's hashing cost at the default parameters.
func BenchmarkVerifyPassword(b *testing.B) {
	h, _ := HashPassword("correct horse battery")
	b.ResetTimer()
	for b.Loop() {
		VerifyPassword(h, "correct horse battery")
	}
}

// BenchmarkVerifyPasswordParallel measures logins per second with every core hashing.
func BenchmarkVerifyPasswordParallel(b *testing.B) {
	h, _ := HashPassword("correct horse battery")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			VerifyPassword(h, "correct horse battery")
		}
	})
}
