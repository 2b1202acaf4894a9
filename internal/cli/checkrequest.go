package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/harmtrace/harmtrace/internal/db"
	"github.com/harmtrace/harmtrace/internal/treaty"
)

func runCheckRequest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "check-request", "FILE.json (- for standard input)")
	format := fs.String("format", "text", "output `format`: text or json")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: give one request file", errUsage)
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("%w: --format must be text or json", errUsage)
	}
	var in io.Reader = env.Stdin
	if files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	req, err := treaty.DecodeRequest(in)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := treaty.Check(ctx, store, req)
	if err != nil {
		return err
	}
	if *format == "json" {
		return printJSON(env, res)
	}
	treaty.WriteText(env.Stdout, req, res)
	return nil
}

func runProfile(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "profile", "show CC... | export | import FILE.json")
	reason := fs.String("reason", "", "why the profiles change (kept in the revisions)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fmt.Errorf("%w: harmtrace profile show CC... | export | import FILE.json", errUsage)
	}
	store, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	switch rest[0] {
	case "show":
		var out []*treaty.Profile
		for _, cc := range rest[1:] {
			p, err := treaty.GetProfile(ctx, store, cc)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return printJSON(env, out)
	case "export":
		list, err := treaty.ListProfiles(ctx, store)
		if err != nil {
			return err
		}
		if list == nil {
			list = []treaty.Profile{}
		}
		return printJSON(env, list)
	case "import":
		if len(rest) != 2 {
			return fmt.Errorf("%w: harmtrace profile import FILE.json", errUsage)
		}
		data, err := os.ReadFile(rest[1])
		if err != nil {
			return err
		}
		list, err := treaty.DecodeProfiles(data)
		if err != nil {
			return fmt.Errorf("%s: %w", rest[1], err)
		}
		changed := 0
		err = store.Write(ctx, author(*reason), func(tx *db.Tx) error {
			for i := range list {
				outcome, err := treaty.SaveProfile(ctx, tx, &list[i])
				if err != nil {
					return fmt.Errorf("%s: profiles[%d] (%s): %w", rest[1], i, list[i].Country, err)
				}
				if outcome != 0 {
					changed++
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("nothing imported: %w", err)
		}
		fmt.Fprintf(env.Stdout, "%d profiles read, %d changed\n", len(list), changed)
		return nil
	}
	return fmt.Errorf("%w: unknown profile command %q", errUsage, rest[0])
}
