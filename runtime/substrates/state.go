package substrates

import "fmt"

// Slot is a named variable of type T in a State, with the value Get returns
// when the State does not hold it. A Slot is identified by its Name and T
// together: slots of one name and different types are different slots.
type Slot[T any] struct {
	name Name
	def  T
}

// NewSlot returns the Slot of type T called name, defaulting to def.
func NewSlot[T any](name Name, def T) Slot[T] { return Slot[T]{name: name, def: def} }

// Name returns the slot's Name.
func (s Slot[T]) Name() Name { return s.name }

// Default returns the value Get gives for a State without the slot.
func (s Slot[T]) Default() T { return s.def }

func (s Slot[T]) holds(v any) bool {
	_, ok := v.(T)
	return ok
}

// SlotKey is implemented by every Slot[T]; State.With takes one.
type SlotKey interface {
	Name() Name
	holds(v any) bool
}

// State is an immutable collection of slot values. The zero State is empty.
// With returns a new State and never changes the one it is called on, so a
// State can be shared between goroutines freely. Reading with Get allocates
// nothing; With copies the collection, which suits the small states of
// subjects.
type State struct{ values []slotValue }

type slotValue struct {
	name  Name
	value any
}

// With returns a State that holds value in slot, replacing any value the
// slot already had. It panics if value is not of the slot's type.
func (s State) With(slot SlotKey, value any) State {
	if !slot.holds(value) {
		panic(fmt.Sprintf("substrates: %T is not a value for slot %s", value, slot.Name()))
	}
	name := slot.Name()
	values := make([]slotValue, len(s.values), len(s.values)+1)
	copy(values, s.values)
	for i, v := range values {
		if v.name == name && slot.holds(v.value) {
			values[i].value = value
			return State{values}
		}
	}
	return State{append(values, slotValue{name, value})}
}

// Len returns the number of slots the State holds.
func (s State) Len() int { return len(s.values) }

// Get returns the value s holds in slot and true, or the slot's default and
// false when s does not hold it.
func Get[T any](s State, slot Slot[T]) (T, bool) {
	for _, v := range s.values {
		if v.name == slot.name {
			if t, ok := v.value.(T); ok {
				return t, true
			}
		}
	}
	return slot.def, false
}
