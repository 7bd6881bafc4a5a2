package p

//storegen:store
type Reading struct {
	At    float64 `store:"key"`
	Value float32 `store:"index"`
	Ok    bool    `store:"index"`
}
