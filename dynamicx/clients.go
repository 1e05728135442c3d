package dynamicx

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/disk"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/restmapper"
)

// DefaultCacheTTL is how long cached discovery stays fresh, as in kubectl.
// A kind missing from a stale-enough cache still triggers one refresh.
const DefaultCacheTTL = 6 * time.Hour

// DiscoveryOptions configures discovery caching.
type DiscoveryOptions struct {
	// CacheDir is the root of the on-disk cache, laid out as kubectl's
	// ~/.kube/cache (discovery/HOST and http/), so the two share it. Empty
	// means in-memory caching only.
	CacheDir string
	// TTL is how long the on-disk cache is trusted; 0 means DefaultCacheTTL.
	TTL time.Duration
}

// DefaultDiscoveryOptions caches discovery where kubectl does.
func DefaultDiscoveryOptions() DiscoveryOptions {
	opts := DiscoveryOptions{TTL: DefaultCacheTTL}
	if home, err := os.UserHomeDir(); err == nil {
		opts.CacheDir = filepath.Join(home, ".kube", "cache")
	}
	return opts
}

// Clients bundles what the engine needs to talk to one cluster.
type Clients struct {
	Config    *Config
	Discovery discovery.CachedDiscoveryInterface
	// Mapper is reset, and the lookup retried once, when a kind is not
	// found in a cache that is not fresh; callers Reset it after CRDs are
	// established.
	Mapper  meta.ResettableRESTMapper
	Dynamic dynamic.Interface
	// Metadata reads objects' metadata only: enough to tell created from
	// configured from unchanged, without moving a Secret's data.
	Metadata metadata.Interface
}

// NewClients builds the discovery client (aggregated discovery, cached in
// memory and optionally on disk), the RESTMapper and the dynamic client.
func NewClients(cfg *Config, opts DiscoveryOptions) (*Clients, error) {
	var dc discovery.CachedDiscoveryInterface
	if opts.CacheDir != "" {
		ttl := opts.TTL
		if ttl == 0 {
			ttl = DefaultCacheTTL
		}
		discoveryDir := computeDiscoveryCacheDir(filepath.Join(opts.CacheDir, "discovery"), cfg.REST.Host)
		cached, err := disk.NewCachedDiscoveryClientForConfig(cfg.REST, discoveryDir, filepath.Join(opts.CacheDir, "http"), ttl)
		if err != nil {
			return nil, fmt.Errorf("discovery client: %w", err)
		}
		dc = cached
	} else {
		plain, err := discovery.NewDiscoveryClientForConfig(cfg.REST)
		if err != nil {
			return nil, fmt.Errorf("discovery client: %w", err)
		}
		dc = memory.NewMemCacheClient(plain)
	}
	dyn, err := dynamic.NewForConfig(cfg.REST)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	md, err := metadata.NewForConfig(cfg.REST)
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	return &Clients{
		Config:    cfg,
		Discovery: dc,
		Mapper:    restmapper.NewDeferredDiscoveryRESTMapper(dc),
		Dynamic:   dyn,
		Metadata:  md,
	}, nil
}

var illegalCacheChars = regexp.MustCompile(`[^(\w/.)]`)

// computeDiscoveryCacheDir matches kubectl's layout (genericclioptions), so
// kapply and kubectl reuse each other's cache.
func computeDiscoveryCacheDir(parent, host string) string {
	schemeless := strings.Replace(strings.Replace(host, "https://", "", 1), "http://", "", 1)
	return filepath.Join(parent, illegalCacheChars.ReplaceAllString(schemeless, "_"))
}
