package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loadResult is what one load run measured over its window.
type loadResult struct {
	requests int     // in the window
	sent     int     // in all, warm-up included
	rate     float64 // requests per second
	p50, p99 time.Duration
}

// drive sends q to the GraphQL endpoint at url from clients concurrent
// clients, each with its own keep-alive connection, for warm + window; only
// the requests that start and end inside the window count. Every request has
// freshly drawn variables. The first failed request stops the run.
func drive(ctx context.Context, url string, q query, e extent, clients int, warm, window time.Duration) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now().Add(warm)
	end := start.Add(window)
	lat := make([][]time.Duration, clients)
	sent := make([]int, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				if err := post(ctx, hc, url, q, q.values(rng, e)); err != nil {
					if ctx.Err() == nil {
						errs[c] = err
						cancel()
					}
					return
				}
				sent[c]++
				if t1 := time.Now(); !t0.Before(start) && !t1.After(end) {
					lat[c] = append(lat[c], t1.Sub(t0))
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return loadResult{}, fmt.Errorf("%s: %w", q.name, err)
		}
	}
	total := 0
	for _, n := range sent {
		total += n
	}
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return loadResult{}, fmt.Errorf("%s: no request finished in %s", q.name, window)
	}
	slices.Sort(all)
	return loadResult{
		requests: len(all),
		sent:     total,
		rate:     float64(len(all)) / window.Seconds(),
		p50:      quantile(all, 0.50),
		p99:      quantile(all, 0.99),
	}, nil
}

// post sends one request and reads its whole answer.
func post(ctx context.Context, hc *http.Client, url string, q query, vars map[string]any) error {
	body, err := requestBody(q, vars)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return checkAnswer(resp.StatusCode, answer)
}

// quantile returns the q-quantile of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
