package steps

import (
	"sync"

	"github.com/oauthcheck/oauthcheck/drivers/client"
)

// Raced is the outcome of one of the requests of [Race].
type Raced struct {
	Resp *client.Response
	Err  error
}

// Race runs send n times at once: every goroutine waits behind a barrier
// until all are ready, so the requests reach the server together.
func Race(n int, send func() (*client.Response, error)) []Raced {
	out := make([]Raced, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		ready.Add(1)
		done.Add(1)
		go func(i int) {
			defer done.Done()
			ready.Done()
			<-start
			out[i].Resp, out[i].Err = send()
		}(i)
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}
