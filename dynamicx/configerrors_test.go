package dynamicx

import (
	"strings"
	"testing"
)

// TestBadKubeconfigErrorsDoNotQuoteIt breaks a kubeconfig in the ways
// whose errors come from different layers (YAML parser, YAML to JSON,
// JSON decoding into clientcmd's types, base64) and checks that no error
// carries the file's credentials.
func TestBadKubeconfigErrorsDoNotQuoteIt(t *testing.T) {
	const token = "tok-6f1d0c9a2b7e4f35"
	head := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n" +
		"contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers:\n- name: u\n"
	tests := []struct {
		name string
		user string
		want string // the message after `load kubeconfig: error loading config file "PATH": `
	}{
		{name: "a mapping used as a key", user: "  user: {token: " + token + ", {a: " + token + "}: x}\n",
			want: "yaml: invalid map key: a mapping or a list used as a key (its content is not shown)"},
		{name: "a list used as a key", user: "  user: {token: " + token + ", [" + token + "]: x}\n",
			want: "yaml: invalid map key: a mapping or a list used as a key (its content is not shown)"},
		{name: "a token that is a list", user: "  user: {token: [" + token + "]}\n",
			want: "json: cannot unmarshal array into Go struct field AuthInfo.users.user.token of type string"},
		{name: "key data that is not base64", user: "  user: {token: " + token + ", client-key-data: " + token + "!}\n",
			want: "illegal base64 data at input byte 3"},
		{name: "broken YAML after the token", user: "  user: {token: " + token + "}\n  bad: [\n",
			want: "yaml: line 9: did not find expected node content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "kubeconfig", head+tc.user)
			_, err := LoadConfig(ConfigOptions{Kubeconfig: path})
			if err == nil {
				t.Fatal("a broken kubeconfig loaded")
			}
			want := `load kubeconfig: error loading config file "` + path + `": ` + tc.want
			if err.Error() != want {
				t.Errorf("error\n got %s\nwant %s", err, want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error quotes the token: %s", err)
			}
		})
	}
}
