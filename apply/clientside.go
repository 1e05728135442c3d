package apply

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/jsonmergepatch"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	kubectlscheme "k8s.io/kubectl/pkg/scheme"
	kubectlutil "k8s.io/kubectl/pkg/util"
)

// Update mode is client-side apply, as `kubectl apply` without
// --server-side (issue 12 C): the manifest is kept in the
// last-applied-configuration annotation, and each run sends a three-way
// patch computed from that annotation (what was applied last), the
// manifest (what is wanted) and the live object (what others changed).
// Fields the manifest dropped are removed; fields others set (an HPA's
// replicas, a controller's annotations, a Job's generated selector) are
// left alone. The annotation and the patches are kubectl's own (its
// util package and scheme), so kubectl apply and kapply --mode=update
// take over from each other on the same objects.

// MaxAnnotationBytes is Kubernetes' limit on the total size of an object's
// annotations (apimachinery's TotalAnnotationSizeLimitB).
const MaxAnnotationBytes = 256 * 1024

// ErrAnnotationTooLarge is the error of an object too large to be applied
// client-side.
var ErrAnnotationTooLarge = errors.New("too large for --mode=update")

// withLastApplied returns a copy of obj that carries its own manifest in
// the last-applied-configuration annotation, and that copy as JSON: the
// "modified" side of the three-way patch. It fails, naming the way out,
// when the annotations would pass the API server's limit.
func withLastApplied(obj *unstructured.Unstructured) (*unstructured.Unstructured, []byte, error) {
	desired := obj.DeepCopy()
	modified, err := kubectlutil.GetModifiedConfiguration(desired, true, unstructured.UnstructuredJSONScheme)
	if err != nil {
		return nil, nil, fmt.Errorf("encode the last-applied configuration: %w", err)
	}
	if err := kubectlutil.CreateApplyAnnotation(desired, unstructured.UnstructuredJSONScheme); err != nil {
		return nil, nil, fmt.Errorf("encode the last-applied configuration: %w", err)
	}
	size := 0
	for k, v := range desired.GetAnnotations() {
		size += len(k) + len(v)
	}
	if size > MaxAnnotationBytes {
		return nil, nil, fmt.Errorf("%w: the %s annotation that update mode keeps would bring the object's annotations to %d bytes, over the API server's limit of %d: apply it in the default mode (server-side apply keeps no such annotation)", ErrAnnotationTooLarge, LastAppliedAnnotation, size, MaxAnnotationBytes)
	}
	return desired, modified, nil
}

// threeWayPatch computes kubectl apply's patch from the live object to
// modified: a strategic merge patch for kinds kubectl knows (the built-in
// ones, by their Go types' patch strategies), a JSON merge patch for the
// others (custom resources). "{}" means there is nothing to change.
func threeWayPatch(live *unstructured.Unstructured, modified []byte) ([]byte, types.PatchType, error) {
	current, err := live.MarshalJSON()
	if err != nil {
		return nil, "", fmt.Errorf("encode live object: %w", err)
	}
	original, err := kubectlutil.GetOriginalConfiguration(live)
	if err != nil {
		return nil, "", fmt.Errorf("read the last-applied configuration: %w", err)
	}
	versioned, err := kubectlscheme.Scheme.New(live.GroupVersionKind())
	switch {
	case err == nil:
		meta, err := strategicpatch.NewPatchMetaFromStruct(versioned)
		if err != nil {
			return nil, "", fmt.Errorf("patch strategy of %s: %w", live.GroupVersionKind().Kind, err)
		}
		patch, err := strategicpatch.CreateThreeWayMergePatch(original, modified, current, meta, true)
		if err != nil {
			return nil, "", fmt.Errorf("compute strategic merge patch: %w", err)
		}
		return patch, types.StrategicMergePatchType, nil
	case !runtime.IsNotRegisteredError(err):
		return nil, "", fmt.Errorf("type of %s: %w", live.GroupVersionKind(), err)
	}
	preconditions := []mergepatch.PreconditionFunc{
		mergepatch.RequireKeyUnchanged("apiVersion"), mergepatch.RequireKeyUnchanged("kind"), mergepatch.RequireMetadataKeyUnchanged("name"),
	}
	patch, err := jsonmergepatch.CreateThreeWayJSONMergePatch(original, modified, current, preconditions...)
	if mergepatch.IsPreconditionFailed(err) {
		return nil, "", errors.New("compute merge patch: apiVersion, kind or name differ from the live object's")
	}
	if err != nil {
		return nil, "", fmt.Errorf("compute merge patch: %w", err)
	}
	return patch, types.MergePatchType, nil
}
