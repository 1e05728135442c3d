package dynamicx

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ConfigOptions says where the connection settings come from, with
// kubectl's precedence: an explicit --kubeconfig, else KUBECONFIG (several
// files merged, as kubectl does), else ~/.kube/config, else the in-cluster
// service account.
type ConfigOptions struct {
	// Kubeconfig is an explicit kubeconfig path (--kubeconfig).
	Kubeconfig string
	// Context overrides the kubeconfig's current context (--context).
	Context string
	// Namespace overrides the context's namespace (-n/--namespace).
	Namespace string
	// RequestTimeout bounds each request; 0 means no limit.
	RequestTimeout time.Duration
	// QPS and Burst configure client-side throttling. A QPS of 0 or less
	// turns throttling off: the API server's priority and fairness already
	// protects it, and client-go's default of 5 QPS makes a 1,000-object
	// bundle take minutes.
	QPS   float32
	Burst int
	// UserAgent is sent with every request.
	UserAgent string
	// Warn receives API server warnings that arrive outside a context made
	// by WithWarnings; nil drops them.
	Warn func(string)
	// Retry is the policy for reads answered 429 or 5xx without
	// Retry-After (client-go retries the rest); see retryTransport.
	Retry RetryOptions
}

// DefaultConfigOptions returns options that follow the usual kubeconfig
// rules with no client-side throttling.
func DefaultConfigOptions() ConfigOptions {
	return ConfigOptions{QPS: -1, UserAgent: "kapply", Retry: DefaultRetryOptions()}
}

// Validate reports options that cannot be used.
func (o *ConfigOptions) Validate() error {
	if o.RequestTimeout < 0 {
		return fmt.Errorf("request timeout must not be negative, got %s", o.RequestTimeout)
	}
	if o.QPS > 0 && o.Burst < 1 {
		return errors.New("burst must be at least 1 when qps is set")
	}
	return o.Retry.Validate()
}

// Config is a resolved connection: the REST config and the namespace that
// namespaced objects without one go to.
type Config struct {
	REST *rest.Config
	// Namespace is -n, else the context's namespace, else "default".
	Namespace string
	// NamespaceExplicit is true when Namespace came from -n; then an object
	// that names another namespace is an error, as with kubectl.
	NamespaceExplicit bool
	// Insecure is true when the kubeconfig turns TLS verification off.
	Insecure bool
	// Traffic counts every request made with this config, and the retries.
	Traffic *Traffic
}

// LoadConfig resolves the connection settings.
func LoadConfig(opts ConfigOptions) (*Config, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
	overrides.Context.Namespace = opts.Namespace
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	restCfg, err := loader.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no cluster to talk to: set --kubeconfig or KUBECONFIG, or run inside a cluster")
		}
		return nil, fmt.Errorf("load kubeconfig: %w", withoutContent(err))
	}
	ns, _, err := loader.Namespace()
	if err != nil {
		return nil, fmt.Errorf("namespace from kubeconfig: %w", withoutContent(err))
	}
	if ns == "" {
		ns = "default"
	}
	restCfg.QPS, restCfg.Burst = opts.QPS, opts.Burst
	if opts.QPS <= 0 {
		restCfg.QPS, restCfg.Burst = -1, 0
	}
	restCfg.Timeout = opts.RequestTimeout
	restCfg.WarningHandler = nil
	restCfg.WarningHandlerWithContext = warningHandler{fallback: opts.Warn}
	if opts.UserAgent != "" {
		restCfg.UserAgent = opts.UserAgent
	}
	traffic := &Traffic{}
	restCfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &retryTransport{next: rt, opts: opts.Retry, total: traffic}
	})
	return &Config{
		REST:              restCfg,
		Namespace:         ns,
		NamespaceExplicit: opts.Namespace != "",
		Insecure:          restCfg.Insecure,
		Traffic:           traffic,
	}, nil
}
