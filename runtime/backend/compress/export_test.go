package compress

// Encode and Decode expose the value format to the external benchmarks,
// which measure the codecs without an engine around them.
var (
	Encode = func(dst, value []byte, c Codec) []byte { return encode(dst, value, c, 0) }
	Decode = decode
)
