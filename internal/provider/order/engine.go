package order

import (
	"sync"
	"time"

	"github.com/regfish/terraform-provider-regfish/internal/regfish"
)

// Engine is the ordering engine of one provider process (one plan, one
// apply): the client, the poll intervals, and what the process shares
// between resources - the order registry, the account's orders and zones
// as listed once, the DCV record names its orders hold.
type Engine struct {
	client   *regfish.Client
	PollMin  time.Duration
	PollMax  time.Duration
	Registry *Registry
	// DCVScope is the provider's dcv_scope: where the CA expects the DCV
	// records (the keys of dcv_records).
	DCVScope string
	// Probe says what DNS shows of DCV records while a wait runs
	// (dcv_resolvers); nil: no report.
	Probe *DNSProbe

	zonesMu sync.Mutex
	zones   []string

	ordersMu     sync.Mutex
	listedOrders []regfish.Certificate // the account's orders, listed once per process
	// listFailed: the listing failed once; refreshes read orders singly.
	listFailed bool

	// dcvNames: the DCV record names an order of this process publishes
	// (name -> certificate id), see holdDCVName.
	dcvMu    sync.Mutex
	dcvNames map[string]*dcvHold
	// dcvProved: DCV record names whose records this process published for
	// an order that was then issued: the CA has just seen the domain
	// proved (guarded by dcvMu).
	dcvProved map[string]bool

	// extDCV: the DCV records of the external-mode orders of this
	// process (record name -> order and value), see NoteExternalDCV.
	extDCVMu sync.Mutex
	extDCV   map[string][]ExternalDCVUse
}

// NewEngine is an engine for client with an empty registry, the default
// poll intervals unset and the registrable-domain DCV scope.
func NewEngine(client *regfish.Client) *Engine {
	return &Engine{client: client, Registry: NewRegistry(), DCVScope: ScopeRegistrableDomain}
}

// ExternalDCVUse is one external-mode order's need of a DCV record name.
type ExternalDCVUse struct {
	ID, CommonName, Value string
}

// dcvHold is one DCV record name held by an order of this process; done is
// closed when it is released.
type dcvHold struct {
	id   string
	done chan struct{}
}
