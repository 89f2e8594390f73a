// Command tlog answers tree-hash and proof queries with golang.org/x/mod/sumdb/tlog, an
// independent RFC 6962 implementation, so Accord's Python Merkle code can be checked against
// it (tests/unit/ledger/test_merkle_crosscheck.py builds and runs this, offline).
//
// Stdin, one JSON object:
//
//	{"leaves": ["<hex entry>", ...], "roots": [size, ...],
//	 "inclusion": [[index, size], ...], "consistency": [[old, new], ...]}
//
// Stdout, one JSON object with hex hashes in the same order:
//
//	{"roots": ["<hex>", ...], "inclusion": [["<hex>", ...], ...], "consistency": [[...], ...]}
//
// tlog defines the root of the empty tree as 32 zero bytes, not SHA-256 of nothing.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/tlog"
)

type request struct {
	Leaves      []string   `json:"leaves"`
	Roots       []int64    `json:"roots"`
	Inclusion   [][2]int64 `json:"inclusion"`
	Consistency [][2]int64 `json:"consistency"`
}

type response struct {
	Roots       []string   `json:"roots"`
	Inclusion   [][]string `json:"inclusion"`
	Consistency [][]string `json:"consistency"`
}

type store struct{ hashes []tlog.Hash }

func (s *store) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, index := range indexes {
		out[i] = s.hashes[index]
	}
	return out, nil
}

func (s *store) append(n int64, entry []byte) error {
	hashes, err := tlog.StoredHashes(n, entry, s)
	if err != nil {
		return err
	}
	s.hashes = append(s.hashes, hashes...)
	return nil
}

func hexAll(hashes []tlog.Hash) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

func answer(req request) (response, error) {
	s := &store{}
	for i, leaf := range req.Leaves {
		entry, err := hex.DecodeString(leaf)
		if err != nil {
			return response{}, err
		}
		if err := s.append(int64(i), entry); err != nil {
			return response{}, err
		}
	}
	resp := response{Roots: []string{}, Inclusion: [][]string{}, Consistency: [][]string{}}
	for _, size := range req.Roots {
		root, err := tlog.TreeHash(size, s)
		if err != nil {
			return response{}, err
		}
		resp.Roots = append(resp.Roots, hex.EncodeToString(root[:]))
	}
	for _, q := range req.Inclusion {
		proof, err := tlog.ProveRecord(q[1], q[0], s)
		if err != nil {
			return response{}, err
		}
		resp.Inclusion = append(resp.Inclusion, hexAll(proof))
	}
	for _, q := range req.Consistency {
		proof, err := tlog.ProveTree(q[1], q[0], s)
		if err != nil {
			return response{}, err
		}
		resp.Consistency = append(resp.Consistency, hexAll(proof))
	}
	return resp, nil
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "tlog crosscheck: bad request:", err)
		os.Exit(2)
	}
	resp, err := answer(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlog crosscheck:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "tlog crosscheck:", err)
		os.Exit(1)
	}
}
