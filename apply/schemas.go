package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/openapi"
	"k8s.io/kube-openapi/pkg/spec3"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	"github.com/kapply-dev/kapply/apply/render"
)

// typeSchemas reads the API server's OpenAPI v3 schema, one group-version
// document when an object of it first needs one, and turns it into
// structured-merge-diff types: the types the server merges apply patches
// with, list-map keys of built-in kinds and CRDs included. A run that
// never needs a schema reads none.
type typeSchemas struct {
	client func() openapi.Client

	pathsOnce sync.Once
	paths     map[string]openapi.GroupVersionWithContext
	pathsErr  error

	mu   sync.Mutex
	byGV map[schema.GroupVersion]*gvTypes
}

type gvTypes struct {
	once sync.Once
	tc   managedfields.TypeConverter
	err  error
}

func newTypeSchemas(client func() openapi.Client) *typeSchemas {
	return &typeSchemas{client: client, byGV: map[schema.GroupVersion]*gvTypes{}}
}

// converter returns the type converter of gv's document.
func (t *typeSchemas) converter(ctx context.Context, gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	t.pathsOnce.Do(func() {
		t.paths, t.pathsErr = openapi.ToClientWithContext(t.client()).PathsWithContext(ctx)
	})
	if t.pathsErr != nil {
		return nil, fmt.Errorf("list openapi v3 documents: %w", t.pathsErr)
	}
	t.mu.Lock()
	g, ok := t.byGV[gv]
	if !ok {
		g = &gvTypes{}
		t.byGV[gv] = g
	}
	t.mu.Unlock()
	g.once.Do(func() { g.tc, g.err = t.load(ctx, gv) })
	return g.tc, g.err
}

func (t *typeSchemas) load(ctx context.Context, gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	key := "apis/" + gv.Group + "/" + gv.Version
	if gv.Group == "" {
		key = "api/" + gv.Version
	}
	doc, ok := t.paths[key]
	if !ok {
		return nil, fmt.Errorf("no openapi v3 document for %s", gv)
	}
	raw, err := doc.SchemaWithContext(ctx, "application/json")
	if err != nil {
		return nil, fmt.Errorf("read openapi v3 document for %s: %w", gv, err)
	}
	var spec spec3.OpenAPI
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("decode openapi v3 document for %s: %w", gv, err)
	}
	if spec.Components == nil {
		return nil, fmt.Errorf("openapi v3 document for %s has no schemas", gv)
	}
	tc, err := managedfields.NewTypeConverter(spec.Components.Schemas, false)
	if err != nil {
		return nil, fmt.Errorf("types of %s: %w", gv, err)
	}
	return tc, nil
}

// typed returns u as a value of its type in the server's schema, or an
// error when the schema is not to be had or does not fit u (a field it
// does not declare).
func (t *typeSchemas) typed(ctx context.Context, u *unstructured.Unstructured) (*typed.TypedValue, error) {
	if t == nil {
		return nil, errors.New("no discovery client to read the server's schema with")
	}
	tc, err := t.converter(ctx, u.GroupVersionKind().GroupVersion())
	if err != nil {
		return nil, err
	}
	return tc.ObjectToTyped(u, typed.AllowDuplicates)
}

// schemaOf returns the render.Schema of u's kind, nil when it cannot be
// had: paths then name list items by index.
func (t *typeSchemas) schemaOf(ctx context.Context, u *unstructured.Unstructured) *render.Schema {
	if t == nil || u == nil {
		return nil
	}
	tv, err := t.typed(ctx, u)
	if err != nil {
		return nil
	}
	return render.SchemaOf(tv)
}
