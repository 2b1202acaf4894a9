package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/harmtrace/harmtrace/internal/keys"
)

// runKeys shows where the keys of victims' cases are, or rotates the
// master key (every case key is rewrapped; the content is not touched).
func runKeys(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "rotate") {
		return fmt.Errorf("%w: harmtrace keys show|rotate", errUsage)
	}
	fs := newFlags(env, "keys "+args[0], "")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	ring, err := keys.Open(env.Config.DataDir)
	if err != nil {
		return err
	}
	switch args[0] {
	case "show":
		entries, err := os.ReadDir(ring.Dir())
		if err != nil {
			return err
		}
		n := 0
		for _, e := range entries {
			if filepath.Ext(e.Name()) == ".key" {
				n++
			}
		}
		signer, err := keys.OpenSigner(env.Config.DataDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "master key   %s\nfingerprint  %s\ncase keys    %d in %s\nsigning key  %s\n  ed25519 public key fingerprint %s\n",
			ring.MasterPath(), ring.Fingerprint(), n, ring.Dir(), signer.Path, keys.Fingerprint(signer.Public()))
		fmt.Fprintln(env.Stdout, "Back these files up apart from the database: without them no case can be read; with the database they open every case.")
	case "rotate":
		n, err := ring.Rotate()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "rotated the master key: %d case keys rewrapped; new fingerprint %s\n", n, ring.Fingerprint())
	}
	return nil
}
