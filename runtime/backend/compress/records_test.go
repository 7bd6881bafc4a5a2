package compress_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

var (
	firstNames = []string{"ada", "alan", "grace", "linus", "barbara", "ken", "margaret", "dennis", "radia", "edsger"}
	lastNames  = []string{"lovelace", "turing", "hopper", "torvalds", "liskov", "thompson", "hamilton", "ritchie", "perlman", "dijkstra"}
	domains    = []string{"example.com", "mail.example.org", "corp.example.net"}
	teams      = []string{"storage", "platform", "billing", "search", "identity"}
	tags       = []string{"admin", "beta", "oncall", "reviewer", "mentor", "remote", "contractor", "lead"}
	devices    = []string{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)", "Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)"}
	phrases    = []string{
		"Works on the storage engine and the query planner.",
		"Likes distributed systems, compilers and coffee.",
		"Previously built billing pipelines for a large retailer.",
		"Speaks at conferences about consistency and caching.",
		"Maintains the on-call runbooks for the platform team.",
		"Reviews most changes to the search indexer.",
	}
)

// record returns a JSON document shaped like a user profile, about 700 to
// 1,300 bytes. Like real application data it repeats itself: field names
// recur in every element of its sessions array, most users keep default
// settings, and values come from small vocabularies.
func record(rng *rand.Rand, i int) []byte {
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	var tagList []string
	for range 1 + rng.IntN(4) {
		tagList = append(tagList, `"`+tags[rng.IntN(len(tags))]+`"`)
	}
	// A user signs in from one or two addresses.
	ips := []string{fmt.Sprintf("10.%d.%d.%d", rng.IntN(4), rng.IntN(256), rng.IntN(256))}
	if rng.IntN(2) == 0 {
		ips = append(ips, fmt.Sprintf("192.168.%d.%d", rng.IntN(256), rng.IntN(256)))
	}
	var sessions []string
	for range 2 + rng.IntN(5) {
		sessions = append(sessions, fmt.Sprintf(`{"device":"%s","ip":"%s","last_seen":"2024-%02d-%02dT%02d:%02d:00Z","mfa":%v}`,
			devices[rng.IntN(len(devices))], ips[rng.IntN(len(ips))],
			1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(3) > 0))
	}
	// Most users keep the default preferences.
	prefs := `{"theme":"light","language":"en-US","notifications":{"email":true,"push":false,"digest":"weekly"}}`
	if rng.IntN(4) == 0 {
		prefs = `{"theme":"dark","language":"en-GB","notifications":{"email":false,"push":true,"digest":"daily"}}`
	}
	bio := make([]string, 1+rng.IntN(3))
	for j := range bio {
		bio[j] = phrases[rng.IntN(len(phrases))]
	}
	return fmt.Appendf(nil, `{"id":"user-%d","email":"%s.%s@%s","name":"%s %s","team":"%s",`+
		`"tags":[%s],"created":"2024-%02d-%02dT%02d:%02d:%02dZ","active":%v,"logins":%d,"preferences":%s,"sessions":[%s],"bio":"%s"}`,
		i, first, last, domains[rng.IntN(len(domains))], first, last, teams[rng.IntN(len(teams))],
		strings.Join(tagList, ","), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60),
		rng.IntN(4) > 0, rng.IntN(5000), prefs, strings.Join(sessions, ","), strings.Join(bio, " "))
}

// records returns n records from a fixed seed.
func records(n int) [][]byte {
	rng := rand.New(rand.NewPCG(42, 42))
	out := make([][]byte, n)
	for i := range out {
		out[i] = record(rng, i)
	}
	return out
}
