// Command tlogcheck verifies a rightsgate ledger published as a C2SP tlog-tiles log, using only the
// Go team's golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog packages: an implementation
// of signed notes and tiled Merkle logs that rightsgate's authors did not write.
//
// It reads the log from a directory written by `rightsgate ledger export` or from a base URL
// (`https://host/ledger`), verifies the checkpoint's signature with the given verifier key,
// authenticates every tile it reads against the checkpoint's root (tlog.TileHashReader), checks the
// inclusion of every entry (or a sample) with tlog.ProveRecord and tlog.CheckRecord, and, given an
// older checkpoint, its consistency with the current one with tlog.ProveTree and tlog.CheckTree.
//
// The tile hashing is tlog's with tile height 8; only the paths differ: tlog writes
// tile/8/<L>/<N> and tile/8/data/<N>, tlog-tiles tile/<L>/<N> and tile/entries/<N>.
//
// Build without modules, against Debian's golang-golang-x-mod-dev:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build
//
// Usage:
//
//	tlogcheck -vkey VKEY (-dir DIR | -url URL) [-old CHECKPOINT_FILE] [-sample N]
//
// It prints one summary line and exits 0 when everything verifies, 1 otherwise.
//
// Every inclusion and consistency proof is checked against the signed root (tlog.CheckRecord,
// tlog.CheckTree), so a tampered tile fails here even where the tile reader of x/mod 0.7.0 (Debian
// bookworm) does not authenticate a full tile against its parent: it skips the first tiles after the
// root's, counting the root's subtrees rather than the root's (fewer, deduplicated) tiles.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is tlog-tiles' fixed tile height: 256 hashes per full tile.
const tileHeight = 8

// source reads resources of the log by their tlog-tiles path ("checkpoint", "tile/0/000", ...).
type source interface {
	read(path string) ([]byte, error)
}

type dirSource struct{ root string }

func (s dirSource) read(path string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.root, filepath.FromSlash(path)))
}

type urlSource struct {
	base   string
	client *http.Client
}

func (s urlSource) read(path string) ([]byte, error) {
	url := strings.TrimSuffix(s.base, "/") + "/" + path
	resp, err := s.client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<24))
}

// tilePath maps a tlog tile of height 8 to its tlog-tiles path.
func tilePath(t tlog.Tile) (string, error) {
	if t.H != tileHeight {
		return "", fmt.Errorf("tile height %d, expected %d", t.H, tileHeight)
	}
	p := t.Path() // tile/8/<L or data>/<N>[.p/<W>]
	rest := strings.TrimPrefix(p, "tile/8/")
	if rest == p {
		return "", fmt.Errorf("unexpected tlog tile path %q", p)
	}
	if strings.HasPrefix(rest, "data/") {
		return "tile/entries/" + strings.TrimPrefix(rest, "data/"), nil
	}
	return "tile/" + rest, nil
}

// tileReader serves tlog's TileHashReader from a source, remembering what it read.
type tileReader struct {
	src   source
	cache map[string][]byte
	reads int
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p, err := tilePath(t)
		if err != nil {
			return nil, err
		}
		data, ok := r.cache[p]
		if !ok {
			data, err = r.src.read(p)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", p, err)
			}
			r.cache[p] = data
			r.reads++
		}
		out[i] = data
	}
	return out, nil
}

func (r *tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// checkpoint is a verified tlog-checkpoint.
type checkpoint struct {
	origin string
	tree   tlog.Tree
}

// openCheckpoint verifies a signed checkpoint with the verifier and reads its body:
// origin, tree size in decimal, base64 root hash, then optional extension lines.
func openCheckpoint(msg []byte, v note.Verifier) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return checkpoint{}, errors.New("checkpoint body: expected origin, size and root hash lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("checkpoint body: tree size %q is not a decimal", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("checkpoint body: root hash %q is not 32 bytes of base64", lines[2])
	}
	var h tlog.Hash
	copy(h[:], raw)
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: h}}, nil
}

// bundle splits an entry bundle into exactly w entries of a 2-byte big-endian length and bytes.
func bundle(data []byte, w int) ([][]byte, error) {
	var out [][]byte
	for i := 0; i < w; i++ {
		if len(data) < 2 {
			return nil, fmt.Errorf("bundle ends before entry %d of %d", i, w)
		}
		n := int(binary.BigEndian.Uint16(data))
		data = data[2:]
		if len(data) < n {
			return nil, fmt.Errorf("entry %d claims %d bytes, %d remain", i, n, len(data))
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%d bytes after the last of %d entries", len(data), w)
	}
	return out, nil
}

func run() error {
	vkey := flag.String("vkey", "", "note verifier key of the log (`name+hash+base64`)")
	dir := flag.String("dir", "", "directory written by `rightsgate ledger export`")
	url := flag.String("url", "", "base URL of the tiled log (the prefix of /checkpoint)")
	old := flag.String("old", "", "an older checkpoint file to check consistency with")
	sample := flag.Int64("sample", 0, "check every Nth entry (0 or 1: every entry)")
	flag.Parse()
	if *vkey == "" || (*dir == "") == (*url == "") {
		return errors.New("usage: tlogcheck -vkey VKEY (-dir DIR | -url URL) [-old FILE] [-sample N]")
	}
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %w", err)
	}
	var src source
	if *dir != "" {
		src = dirSource{root: *dir}
	} else {
		src = urlSource{base: *url, client: &http.Client{Timeout: 30 * time.Second}}
	}

	msg, err := src.read("checkpoint")
	if err != nil {
		return fmt.Errorf("reading checkpoint: %w", err)
	}
	cp, err := openCheckpoint(msg, verifier)
	if err != nil {
		return err
	}
	tree := cp.tree
	tr := &tileReader{src: src, cache: map[string][]byte{}}
	hr := tlog.TileHashReader(tree, tr)

	if tree.N > 0 {
		th, err := tlog.TreeHash(tree.N, hr)
		if err != nil {
			return fmt.Errorf("tree hash from tiles: %w", err)
		}
		if th != tree.Hash {
			return errors.New("tree hash from tiles differs from the checkpoint")
		}
	}

	step := *sample
	if step < 1 {
		step = 1
	}
	checked := int64(0)
	for start := int64(0); start < tree.N; start += 1 << tileHeight {
		w := tree.N - start
		if w > 1<<tileHeight {
			w = 1 << tileHeight
		}
		t := tlog.Tile{H: tileHeight, L: -1, N: start >> tileHeight, W: int(w)}
		p, err := tilePath(t)
		if err != nil {
			return err
		}
		data, err := src.read(p)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		entries, err := bundle(data, int(w))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for k, e := range entries {
			i := start + int64(k)
			if i%step != 0 && i != tree.N-1 {
				continue
			}
			proof, err := tlog.ProveRecord(tree.N, i, hr)
			if err != nil {
				return fmt.Errorf("inclusion proof of entry %d: %w", i, err)
			}
			if err := tlog.CheckRecord(proof, tree.N, tree.Hash, i, tlog.RecordHash(e)); err != nil {
				return fmt.Errorf("entry %d is not in the tree: %w", i, err)
			}
			checked++
		}
	}

	consistency := ""
	if *old != "" {
		oldMsg, err := os.ReadFile(*old)
		if err != nil {
			return fmt.Errorf("reading the older checkpoint: %w", err)
		}
		oldCp, err := openCheckpoint(oldMsg, verifier)
		if err != nil {
			return fmt.Errorf("older %w", err)
		}
		if oldCp.origin != cp.origin {
			return fmt.Errorf("older checkpoint is of origin %q, not %q", oldCp.origin, cp.origin)
		}
		if oldCp.tree.N > tree.N {
			return fmt.Errorf("older checkpoint has %d entries, more than the current %d", oldCp.tree.N, tree.N)
		}
		proof, err := tlog.ProveTree(tree.N, oldCp.tree.N, hr)
		if err != nil {
			return fmt.Errorf("consistency proof from %d: %w", oldCp.tree.N, err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, oldCp.tree.N, oldCp.tree.Hash); err != nil {
			return fmt.Errorf("tree of %d entries is not a prefix of the current tree: %w", oldCp.tree.N, err)
		}
		consistency = fmt.Sprintf(" consistent_from=%d", oldCp.tree.N)
	}

	fmt.Printf("ok origin=%q size=%d root=%s entries_checked=%d tiles_read=%d%s\n",
		cp.origin, tree.N, tree.Hash, checked, tr.reads, consistency)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tlogcheck:", err)
		os.Exit(1)
	}
}
