package serventis

import (
	"encoding"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// name is what every vocabulary value is.
type name interface {
	String() string
	encoding.TextMarshaler
}

// vocabulary is one enumeration under test: its names in order, a value of
// it by number, and a fresh value to parse into.
type vocabulary struct {
	kind  string
	names []string
	value func(i int) name
	zero  func() encoding.TextUnmarshaler
}

func vocab[T interface {
	~uint8
	name
}, P interface {
	*T
	encoding.TextUnmarshaler
}](kind string, names ...string) vocabulary {
	return vocabulary{
		kind:  kind,
		names: names,
		value: func(i int) name { return T(i) },
		zero:  func() encoding.TextUnmarshaler { return P(new(T)) },
	}
}

func TestVocabularies(t *testing.T) {
	vocabularies := []vocabulary{
		vocab[Sign]("Sign", "START", "STOP", "CALL", "SUCCESS", "FAIL", "RECOURSE", "REDIRECT", "EXPIRE",
			"RETRY", "REJECT", "DISCARD", "DELAY", "SCHEDULE", "SUSPEND", "RESUME", "DISCONNECT"),
		vocab[Orientation]("Orientation", "RELEASE", "RECEIPT"),
		vocab[Condition]("Condition", "CONVERGING", "STABLE", "DIVERGING", "ERRATIC", "DEGRADED", "DEFECTIVE", "DOWN"),
		vocab[Confidence]("Confidence", "TENTATIVE", "MEASURED", "CONFIRMED"),
		vocab[Situation]("Situation", "NORMAL", "WARNING", "CRITICAL"),
		vocab[Operation]("Operation", "CONNECT", "DISCONNECT", "TRANSMIT", "RECEIVE", "PROCESS"),
		vocab[Outcome]("Outcome", "SUCCEED", "FAIL"),
		vocab[ResourceSign]("ResourceSign", "ATTEMPT", "ACQUIRE", "GRANT", "DENY", "TIMEOUT", "RELEASE"),
		vocab[QueueSign]("QueueSign", "ENQUEUE", "DEQUEUE", "OVERFLOW", "UNDERFLOW"),
	}
	for _, v := range vocabularies {
		t.Run(v.kind, func(t *testing.T) {
			for i, want := range v.names {
				val := v.value(i)
				assert.Equal(t, want, val.String())
				text, err := val.MarshalText()
				require.NoError(t, err)
				back := v.zero()
				require.NoError(t, back.UnmarshalText(text))
				assert.Equal(t, val, reflect.ValueOf(back).Elem().Interface())
			}
			assert.Equal(t, v.kind+"(200)", v.value(200).String())
			assert.ErrorIs(t, v.zero().UnmarshalText([]byte("NONSENSE")), ErrUnknownName)
		})
	}
}

func TestCompositeValues(t *testing.T) {
	assert.Equal(t, "STABLE/CONFIRMED", Status{Stable, Confirmed}.String())
	assert.Equal(t, "FAIL/RECEIPT", Signal{Fail, Receipt}.String())
	assert.Equal(t, "CONNECT/FAIL/RELEASE", Observation{OperationConnect, OutcomeFail, Release}.String())

	out, err := json.Marshal(Status{Degraded, Measured})
	require.NoError(t, err)
	assert.JSONEq(t, `{"condition":"DEGRADED","confidence":"MEASURED"}`, string(out))
	var back Status
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, Status{Degraded, Measured}, back)
	assert.Error(t, json.Unmarshal([]byte(`{"condition":"FINE"}`), &back))

	out, err = json.Marshal(QueueSignal{QueueOverflow, 3})
	require.NoError(t, err)
	assert.JSONEq(t, `{"sign":"OVERFLOW","units":3}`, string(out))
}

func TestSituationOf(t *testing.T) {
	st := func(c Condition) Status { return Status{c, Confirmed} }
	tests := []struct {
		statuses []Status
		want     Situation
	}{
		{nil, Normal},
		{[]Status{st(Stable), st(Converging)}, Normal},
		{[]Status{st(Stable), st(Diverging)}, Warning},
		{[]Status{st(Erratic)}, Warning},
		{[]Status{st(Degraded), st(Stable)}, Warning},
		{[]Status{st(Degraded), st(Defective)}, Critical},
		{[]Status{st(Stable), {Down, Tentative}}, Critical},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, SituationOf(tt.statuses...), "%v", tt.statuses)
	}
}
