package manifests

import (
	"bytes"
	"errors"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// kubectlDecode is kubectl's path from bytes to objects, the reference the
// differential tests hold Decode to: apimachinery's YAMLOrJSONDecoder with
// kubectl's 4096-byte look-ahead, empty and null documents skipped, each
// document decoded by the unstructured JSON scheme, and Lists flattened one
// level (kubectl's FlattenListVisitor). A List item that is itself a List
// is returned as it is; Decode refuses those.
func kubectlDecode(data []byte) (objs []map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			objs, err = nil, errors.New("kubectl's decoder panicked")
		}
	}()
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var ext runtime.RawExtension
		if err := d.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
		if err != nil {
			return nil, err
		}
		switch o := obj.(type) {
		case *unstructured.UnstructuredList:
			for _, it := range o.Items {
				objs = append(objs, it.Object)
			}
		case *unstructured.Unstructured:
			objs = append(objs, o.Object)
		}
	}
}
