package order

import "sync"

// Registry remembers, for one provider process (one plan or apply),
// which certificate orders a resource has claimed and which ones a replaced
// object handed over, so that a replacement resumes the same order.
type Registry struct {
	mu      sync.Mutex
	claimed map[string]bool
	handed  map[string]string // config fingerprint -> order id handed over by Delete
	placed  map[string]string // config fingerprint -> order id a Create already holds
}

func NewRegistry() *Registry {
	return &Registry{claimed: map[string]bool{}, handed: map[string]string{}, placed: map[string]string{}}
}

// claim marks id as held by a resource of this process; false if another
// resource already holds it.
func (r *Registry) Claim(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.claimed[id] {
		return false
	}
	r.claimed[id] = true
	return true
}

func (r *Registry) isClaimed(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.claimed[id]
}

func (r *Registry) HandOver(fp, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handed[fp] = id
}

// TakeHandedOver returns (and forgets) the order handed over for fp.
func (r *Registry) TakeHandedOver(fp string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.handed[fp]
	delete(r.handed, fp)
	return id
}

func (r *Registry) SetPlaced(fp, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placed[fp] = id
}

// Holds reports whether a Create of this process placed or took over
// order id (whatever configuration it was for).
func (r *Registry) Holds(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.placed {
		if v == id {
			return true
		}
	}
	return false
}

func (r *Registry) PlacedFor(fp string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.placed[fp]
}
