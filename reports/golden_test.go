package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenInput is what the golden reports show: two shards of a run against
// the weakened reference and the fixture suite, merged, with the
// expectations of testdata/expect.yaml.
func goldenInput(t *testing.T) ([]Result, Meta) {
	t.Helper()
	reps, err := Load(filepath.Join("testdata", "weakened.json"), filepath.Join("testdata", "shard.json"),
		filepath.Join("testdata", "suite.json"))
	if err != nil {
		t.Fatal(err)
	}
	merged := Merge(reps...)
	ex, err := LoadExpect(filepath.Join("testdata", "expect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	meta := MetaOf(merged)
	meta.Issuer, meta.Profile, meta.Version = "http://127.0.0.1:43841", "bcp", "v0.1.0-test"
	meta.FailOn = FailOnMust
	return Apply(Results(merged), ex).Results, meta
}

// checkGolden compares got with testdata/golden/name, or rewrites the file
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test ./reports -update rewrites it):\n%s", path, diff)
	}
}

// render writes with one of the writers twice, and fails if the two
// outputs differ: the reports must not depend on a clock or map order.
func render(t *testing.T, write func(*bytes.Buffer) error) []byte {
	t.Helper()
	var a, b bytes.Buffer
	if err := write(&a); err != nil {
		t.Fatal(err)
	}
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same results differ")
	}
	return a.Bytes()
}
