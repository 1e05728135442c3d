package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kapply-dev/kapply/apply"
)

// externalDiffEnv are the variables that name a diff program of the
// user's: kapply's own first, then kubectl's.
var externalDiffEnv = []string{"KAPPLY_EXTERNAL_DIFF", "KUBECTL_EXTERNAL_DIFF"}

// kubectl's rule for the arguments of KUBECTL_EXTERNAL_DIFF.
var externalDiffArg = regexp.MustCompile(`^[a-zA-Z0-9-=]+$`)

// externalDiffCommand returns the diff program and its arguments from the
// environment, split on spaces as kubectl splits it, or nil when none is
// set.
func externalDiffCommand() ([]string, error) {
	for _, name := range externalDiffEnv {
		v := strings.Fields(os.Getenv(name))
		if len(v) == 0 {
			continue
		}
		for _, arg := range v[1:] {
			if !externalDiffArg.MatchString(arg) {
				return nil, fmt.Errorf("%s: argument %q: only letters, digits, '-' and '=' are allowed, as kubectl allows", name, arg)
			}
		}
		return v, nil
	}
	return nil, nil
}

// runExternalDiff writes the objects that change, as masked YAML, into
// two directories, live/ and merged/ (a new object has no live file),
// one file per object named [GROUP.]KIND.[NAMESPACE.]NAME, and runs the
// program on them as kubectl does: `PROGRAM [ARGS...] LIVE MERGED`, its
// output on kapply's. Its exit status 0 or 1 is left to kapply's own
// verdict; another is an error.
func runExternalDiff(command []string, ds *apply.DiffSet, s streams) error {
	root, err := os.MkdirTemp("", "kapply-diff-")
	if err != nil {
		return fmt.Errorf("external diff: %w", err)
	}
	defer os.RemoveAll(root)
	live, merged := filepath.Join(root, "live"), filepath.Join(root, "merged")
	for _, dir := range []string{live, merged} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("external diff: %w", err)
		}
	}
	for _, r := range ds.Results {
		if r.Merged == "" {
			continue
		}
		var parts []string
		for _, p := range []string{r.Ref.Group, r.Ref.Kind, r.Ref.Namespace, r.Ref.Name} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		name := strings.Join(parts, ".")
		if r.Live != "" {
			if err := os.WriteFile(filepath.Join(live, name), []byte(r.Live), 0o600); err != nil {
				return fmt.Errorf("external diff: %w", err)
			}
		}
		if err := os.WriteFile(filepath.Join(merged, name), []byte(r.Merged), 0o600); err != nil {
			return fmt.Errorf("external diff: %w", err)
		}
	}
	cmd := exec.Command(command[0], append(command[1:], live, merged)...)
	cmd.Stdout, cmd.Stderr = s.out, s.err
	var ee *exec.ExitError
	switch err := cmd.Run(); {
	case err == nil, errors.As(err, &ee) && ee.ExitCode() == 1:
		return nil
	default:
		return fmt.Errorf("external diff %s: %w", command[0], err)
	}
}
