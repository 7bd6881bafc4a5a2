package substrates

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName is returned by Cortex.ParseName for an empty path or a path
// with an empty part ("a..b", ".a", "a.").
var ErrInvalidName = errors.New("substrates: invalid name")

// Name is a hierarchical, dot-separated path such as "storegen.db.users".
// Names are interned by their Cortex: two Names for the same path made by
// one Cortex are ==, so a Name is a cheap map key. The zero Name is no name:
// its String is "" and it has no parent.
type Name struct{ n *nameNode }

// nameNode is the interned form of a path; it never changes once made.
type nameNode struct {
	cortex *Cortex
	parent *nameNode
	path   string
	depth  int
}

// String returns the dot-separated path.
func (n Name) String() string {
	if n.n == nil {
		return ""
	}
	return n.n.path
}

// Parent returns the Name without its last part, and false for a Name of
// one part (or the zero Name).
func (n Name) Parent() (Name, bool) {
	if n.n == nil || n.n.parent == nil {
		return Name{}, false
	}
	return Name{n.n.parent}, true
}

// Child returns the Name extended by part, which may itself hold several
// dot-separated parts. It panics if part has an empty part or n is the zero
// Name.
func (n Name) Child(part string) Name {
	if n.n == nil {
		panic("substrates: Child of the zero Name")
	}
	if err := validPath(part); err != nil {
		panic(err)
	}
	return Name{n.n.cortex.intern(n.n.path + "." + part)}
}

// Depth returns the number of parts: 1 for "a", 3 for "a.b.c", 0 for the
// zero Name.
func (n Name) Depth() int {
	if n.n == nil {
		return 0
	}
	return n.n.depth
}

// Name returns the interned Name for path. It panics if path is empty or has
// an empty part; use ParseName for paths that are not known to be valid.
func (c *Cortex) Name(path string) Name {
	n, err := c.ParseName(path)
	if err != nil {
		panic(err)
	}
	return n
}

// ParseName returns the interned Name for path, or an error matching
// ErrInvalidName.
func (c *Cortex) ParseName(path string) (Name, error) {
	if err := validPath(path); err != nil {
		return Name{}, err
	}
	return Name{c.intern(path)}, nil
}

func validPath(path string) error {
	if path == "" || path[0] == '.' || path[len(path)-1] == '.' || strings.Contains(path, "..") {
		return fmt.Errorf("%w: %q has an empty part", ErrInvalidName, path)
	}
	return nil
}

// intern returns the one node for a valid path, making it and its missing
// ancestors on first use.
func (c *Cortex) intern(path string) *nameNode {
	c.namesMu.RLock()
	n := c.names[path]
	c.namesMu.RUnlock()
	if n != nil {
		return n
	}
	var parent *nameNode
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent = c.intern(path[:i])
	}
	c.namesMu.Lock()
	defer c.namesMu.Unlock()
	if n := c.names[path]; n != nil {
		return n
	}
	n = &nameNode{cortex: c, parent: parent, path: path, depth: 1}
	if parent != nil {
		n.depth = parent.depth + 1
	}
	c.names[path] = n
	return n
}
