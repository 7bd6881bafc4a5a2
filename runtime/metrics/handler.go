package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/synapsed/storegen/runtime/serventis"
	"github.com/synapsed/storegen/runtime/store"
)

// HandlerOptions sets who may use the handler. Every request must carry
// one of the tokens as "Authorization: Bearer <token>"; any valid token
// may read /metrics and /status, which hold figures and names but no
// records, and /events serves only the stores a token is granted. With no
// token configured, every request is refused.
type HandlerOptions struct {
	// BearerToken is the token that may also watch every store.
	BearerToken string
	// Stores grants further tokens the stores whose events each may
	// watch: token → store names, where "*" stands for every store.
	Stores map[string][]string
	// EventBuffer is how many events an /events stream holds for a slow
	// client before disconnecting it (default 1024); the client should
	// reconnect.
	EventBuffer int
}

// AllStores in a token's list in HandlerOptions.Stores grants every store.
const AllStores = "*"

// keepAlive is how often an idle event stream sends a comment, so that
// proxies do not close it.
const keepAlive = 15 * time.Second

// grant is what one token may do.
type grant struct {
	digest [sha256.Size]byte
	all    bool
	stores []string
}

func (g *grant) mayWatch(name string) bool { return g.all || slices.Contains(g.stores, name) }

// handler serves a DB's monitoring.
type handler struct {
	db     *store.DB
	grants []grant
	buffer int
}

// Handler returns an http.Handler for db that serves, to requests with a
// valid bearer token (see HandlerOptions):
//
//   - GET /metrics: the Prometheus exposition of NewCollector(db), from a
//     registry of its own;
//   - GET /status: a JSON object of the DB's situation, performance and
//     resources and every store's status and performance;
//   - GET /events?store=name: a Server-Sent Events stream of the store's
//     changes, each event "change" with the JSON of a store.EventJSON as
//     its data — keys of sensitive stores redacted, records only for
//     stores whose schema can redact them. When the stream ends on the
//     server's side (the DB closing, a client too slow for EventBuffer)
//     an event "end" is sent first.
//
// A request without a valid token gets 401, one for events of a store its
// token is not granted 403, with bodies that say no more than that. Tokens
// are compared in constant time, as digests, so that neither their
// contents nor their lengths leak through timing.
func Handler(db *store.DB, opts HandlerOptions) http.Handler {
	h := &handler{db: db, buffer: opts.EventBuffer}
	if h.buffer <= 0 {
		h.buffer = 1024
	}
	if opts.BearerToken != "" {
		h.grants = append(h.grants, grant{digest: sha256.Sum256([]byte(opts.BearerToken)), all: true})
	}
	for token, stores := range opts.Stores {
		if token == "" {
			continue // an empty token would let in requests that send none
		}
		g := grant{digest: sha256.Sum256([]byte(token)), stores: slices.Clone(stores)}
		g.all = slices.Contains(stores, AllStores)
		h.grants = append(h.grants, g)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(db))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /status", h.status)
	mux.HandleFunc("GET /events", h.events)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { refuse(w, http.StatusNotFound) })
	return h.authenticate(mux)
}

// grantKey is the context key of a request's grant.
type grantKey struct{}

// authenticate admits requests with a valid bearer token, and passes their
// grant on in the request's context.
func (h *handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := h.grantOf(r)
		if g == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="storegen"`)
			refuse(w, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), grantKey{}, g)))
	})
}

// grantOf returns the grant of the request's token, or nil. It compares
// the token's digest with every grant's, to the last, whatever matches.
func (h *handler) grantOf(r *http.Request) *grant {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return nil
	}
	digest := sha256.Sum256([]byte(token))
	var match *grant
	for i := range h.grants {
		if subtle.ConstantTimeCompare(digest[:], h.grants[i].digest[:]) == 1 {
			match = &h.grants[i]
		}
	}
	return match
}

// refuse answers with status and its bare name: nothing about the request,
// the DB or the error.
func refuse(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(strings.ToLower(http.StatusText(status)) + "\n"))
}

// Status is the JSON body of /status.
type Status struct {
	DB          string              `json:"db"`
	Time        time.Time           `json:"time"`
	Situation   serventis.Situation `json:"situation"`
	Performance store.Performance   `json:"performance"`
	Resources   store.Resources     `json:"resources"`
	Stores      []StoreStatus       `json:"stores"`
}

// StoreStatus is a store's part of /status.
type StoreStatus struct {
	Name        string               `json:"name"`
	Condition   serventis.Condition  `json:"condition"`
	Confidence  serventis.Confidence `json:"confidence"`
	Performance store.Performance    `json:"performance"`
	Subscribers int                  `json:"subscribers"`
	Lag         int                  `json:"lag"`
	Dropped     uint64               `json:"dropped"`
}

// status serves /status.
func (h *handler) status(w http.ResponseWriter, _ *http.Request) {
	counters := h.db.Counters()
	doc := Status{
		DB:          h.db.Name(),
		Time:        counters.Time,
		Situation:   h.db.Situation(),
		Performance: h.db.Performance(),
		Resources:   h.db.Resources(),
		Stores:      make([]StoreStatus, 0, len(counters.Stores)),
	}
	for _, s := range counters.Stores {
		perf, _ := h.db.StorePerformance(s.Name)
		doc.Stores = append(doc.Stores, StoreStatus{Name: s.Name, Condition: s.Status.Condition, Confidence: s.Status.Confidence,
			Performance: perf, Subscribers: s.Subscribers, Lag: s.Lag, Dropped: s.Dropped})
	}
	slices.SortFunc(doc.Stores, func(a, b StoreStatus) int { return strings.Compare(a.Name, b.Name) })
	body, err := json.Marshal(doc)
	if err != nil {
		refuse(w, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(body, '\n'))
}

// events serves /events?store=name.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("store")
	if name == "" {
		refuse(w, http.StatusBadRequest)
		return
	}
	// Permission first, so that a token learns nothing of stores it may
	// not watch, not even whether they exist.
	if g, _ := r.Context().Value(grantKey{}).(*grant); g == nil || !g.mayWatch(name) {
		refuse(w, http.StatusForbidden)
		return
	}
	sub, err := h.db.WatchJSON(r.Context(), name, store.Buffer(h.buffer), store.OnOverflow(store.Disconnect))
	switch {
	case errors.Is(err, store.ErrUnknownStore):
		refuse(w, http.StatusNotFound)
		return
	case err != nil:
		refuse(w, http.StatusInternalServerError)
		return
	}
	defer sub.Close()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // proxies must not hold events back
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var chunk []byte
		select {
		case e, ok := <-sub.C():
			if !ok {
				if r.Context().Err() == nil {
					_, _ = w.Write([]byte("event: end\ndata: {}\n\n"))
					_ = rc.Flush()
				}
				return
			}
			chunk = append(append([]byte("event: change\ndata: "), e...), "\n\n"...)
		case <-tick.C:
			chunk = []byte(": keep-alive\n\n")
		case <-r.Context().Done():
			return
		}
		if _, err := w.Write(chunk); err != nil || rc.Flush() != nil {
			return
		}
	}
}
