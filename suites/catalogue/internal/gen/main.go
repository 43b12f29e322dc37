// Command gen generates the check catalogue from checks.yaml: the Go data
// of the catalogue package (catalogue_gen.go) and the catalogue table
// between the catalogue markers of the repository's README.md.
//
//	go generate ./suites/catalogue
//
// It runs in the catalogue package's folder. With -check it writes
// nothing and fails when a generated file is not up to date.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/oauthcheck/oauthcheck/suites/catalogue/internal/render"
)

func main() {
	in := flag.String("in", "checks.yaml", "the catalogue")
	out := flag.String("out", "catalogue_gen.go", "the Go file to write")
	readme := flag.String("readme", "../../README.md", "the README whose catalogue block to rewrite")
	check := flag.Bool("check", false, "write nothing; fail if a generated file is stale")
	flag.Parse()
	if err := run(*in, *out, *readme, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out, readme string, check bool) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	f, err := render.Parse(data)
	if err != nil {
		return err
	}
	src, err := render.GoSource(f)
	if err != nil {
		return err
	}
	md, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	newMD, err := render.ReplaceBlock(md, render.Markdown(f))
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	var stale []string
	for _, w := range []struct {
		path string
		data []byte
	}{{out, src}, {readme, newMD}} {
		old, err := os.ReadFile(w.path)
		if err == nil && bytes.Equal(old, w.data) {
			continue
		}
		if check {
			stale = append(stale, w.path)
			continue
		}
		if err := writeFile(w.path, w.data); err != nil {
			return err
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("stale: %v; run go generate ./suites/catalogue", stale)
	}
	return nil
}

// writeFile replaces path through a temporary file in the same folder, so
// that a reader never sees half a file.
func writeFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
