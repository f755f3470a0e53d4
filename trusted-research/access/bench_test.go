package access

import (
	"testing"
)

// BenchmarkAuthenticate measures Authenticate on a valid researcher token
// (token and project lookups), among 10,000 stored tokens. It runs on every
// request.
func BenchmarkAuthenticate(b *testing.B) {
	s, tok := benchStore(b)
	p, err := s.Authenticate(tok)
	if err != nil || p.Project != "alpha" || p.Role != Researcher {
		b.Fatalf("%+v %v", p, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Authenticate(tok); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auth/s")
}

// BenchmarkAuthenticateParallel runs Authenticate from GOMAXPROCS
// goroutines.
func BenchmarkAuthenticateParallel(b *testing.B) {
	s, tok := benchStore(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Authenticate(tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auth/s")
}

// BenchmarkAuthenticateUnknown measures refusing a well-formed unknown
// token (the cost of a guessing attacker's request).
func BenchmarkAuthenticateUnknown(b *testing.B) {
	s, tok := benchStore(b)
	bad := tok[:TokenLen-2] + "~~"
	if _, err := s.Authenticate(bad); err != ErrUnauthenticated {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Authenticate(bad)
	}
}

func BenchmarkAllowed(b *testing.B) {
	p := &Principal{Role: Industry, Project: "alpha", Purpose: PurposeResearch}
	if Allowed(p, ActionFreq, "alpha") != nil {
		b.Fatal("not allowed")
	}
	b.ReportAllocs()
	for b.Loop() {
		if Allowed(p, ActionFreq, "alpha") != nil {
			b.Fatal("not allowed")
		}
	}
}

func benchStore(b *testing.B) (*Store, string) {
	s, _, _ := openTest(b)
	mustProject(b, s, "alpha", PurposeResearch)
	s.db.NoSync = true // setup only: 10,000 fsyncs would dominate
	for i := range 10000 {
		role := Auditor
		if i%2 == 0 {
			role = DataManager
		}
		mustToken(b, s, TokenSpec{User: "bulk", Role: role})
	}
	s.db.NoSync = false
	tok, _ := mustToken(b, s, TokenSpec{User: "ada", Role: Researcher, Project: "alpha"})
	return s, tok
}
