// Package dynamicx turns a kubeconfig into a rest.Config, discovers the API
// server's resources, maps kinds to resources with a RESTMapper and resolves
// objects to their dynamic.ResourceInterface. It imports no kapply package.
package dynamicx
