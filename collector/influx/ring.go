package influx

// ring is a FIFO queue that grows on demand up to max elements; pushing onto a full ring
// overwrites the oldest element. It is not safe for concurrent use.
type ring[T any] struct {
	buf  []T
	head int // index of the oldest element
	n    int
	max  int
}

func newRing[T any](limit int) *ring[T] {
	limit = max(limit, 1)
	return &ring[T]{buf: make([]T, min(limit, 1024)), max: limit}
}

func (q *ring[T]) len() int { return q.n }

// push appends v and reports whether the oldest element had to be dropped to make room.
func (q *ring[T]) push(v T) (dropped bool) {
	if q.n == len(q.buf) && len(q.buf) < q.max {
		q.grow()
	}
	if q.n == len(q.buf) {
		q.buf[q.head] = v // overwrite the oldest
		q.head = (q.head + 1) % len(q.buf)
		return true
	}
	q.buf[(q.head+q.n)%len(q.buf)] = v
	q.n++
	return false
}

// dropOldest removes the oldest element, if any, and reports whether there was one.
func (q *ring[T]) dropOldest() bool {
	if q.n == 0 {
		return false
	}
	var zero T
	q.buf[q.head] = zero
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	return true
}

// take removes up to n of the oldest elements and appends them to dst.
func (q *ring[T]) take(dst []T, n int) []T {
	var zero T
	for ; n > 0 && q.n > 0; n-- {
		dst = append(dst, q.buf[q.head])
		q.buf[q.head] = zero // let the garbage collector have it
		q.head = (q.head + 1) % len(q.buf)
		q.n--
	}
	return dst
}

func (q *ring[T]) grow() {
	size := min(max(2*len(q.buf), 1), q.max)
	buf := make([]T, size)
	for i := range q.n {
		buf[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = buf, 0
}
