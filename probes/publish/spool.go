package publish

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	frameHeader = 8        // payload length, CRC-32C of the payload; both uint32 little-endian
	maxFrame    = 16 << 20 // a result is never near this; a larger length is corruption
	segSuffix   = ".seg"
	cursorName  = "cursor.json"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli) // read-only after init

// appendFrame appends one frame holding payload to b.
func appendFrame(b, payload []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(payload, crcTable))
	return append(b, payload...)
}

// parseFrame reads the frame at the start of b: its payload and total length. ok is false when
// b holds only part of a frame (need is then the whole frame's length, or 0 if even the header is
// incomplete); bad is true when the frame cannot be valid.
func parseFrame(b []byte) (payload []byte, need int, ok, bad bool) {
	if len(b) < frameHeader {
		return nil, 0, false, false
	}
	n := binary.LittleEndian.Uint32(b)
	if n == 0 || n > maxFrame {
		return nil, 0, false, true
	}
	need = frameHeader + int(n)
	if len(b) < need {
		return nil, need, false, false
	}
	payload = b[frameHeader:need]
	if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, need, false, true
	}
	return payload, need, true, false
}

// segment is one spool file. Frames [0, acked) are acknowledged, [acked, read) are in flight
// (handed to the sender), [read, count) wait.
type segment struct {
	id      uint64
	size    int64 // bytes of whole frames
	count   int
	read    int
	readOff int64
	acked   int
	ackOff  int64
	sealed  bool // a failed write left bytes past size: append no more
}

// spool is the on-disk queue. It is not safe for concurrent use: the Publisher locks it.
type spool struct {
	dir      string
	segBytes int64
	maxBytes int64
	log      *slog.Logger
	segs     []*segment // oldest first
	bytes    int64
	w        *os.File // appends to the last segment; nil until needed
	nextID   uint64
}

type cursor struct {
	Segment uint64 `json:"segment"`
	Offset  int64  `json:"offset"`
}

func (s *spool) path(id uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", id, segSuffix))
}

// openSpool opens (or creates) the spool in dir, resuming at the persisted cursor. It returns
// the results waiting and the number of corrupt tails cut off.
func openSpool(dir string, segBytes, maxBytes int64, log *slog.Logger) (*spool, int, int, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, 0, 0, fmt.Errorf("publish: spool: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("publish: spool: %w", err)
	}
	var ids []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segSuffix)
		if !ok || e.IsDir() {
			continue
		}
		if id, err := strconv.ParseUint(name, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	s := &spool{dir: dir, segBytes: segBytes, maxBytes: maxBytes, log: log, nextID: 1}
	cur := s.readCursor()
	corrupt := 0
	for _, id := range ids {
		s.nextID = max(s.nextID, id+1)
		if id < cur.Segment { // wholly acknowledged before the restart
			s.remove(id)
			continue
		}
		ackOff := int64(0)
		if id == cur.Segment {
			ackOff = cur.Offset
		}
		seg, bad, err := s.scan(id, ackOff)
		if err != nil {
			return nil, 0, 0, err
		}
		if bad {
			corrupt++
		}
		if seg.acked == seg.count {
			s.remove(id)
			continue
		}
		s.segs = append(s.segs, seg)
		s.bytes += seg.size
	}
	// Ids never go back, or a new segment could sort behind the cursor and be taken as sent.
	s.nextID = max(s.nextID, cur.Segment+1)
	return s, s.pending(), corrupt, nil
}

func (s *spool) readCursor() cursor {
	var c cursor
	b, err := os.ReadFile(filepath.Join(s.dir, cursorName))
	if errors.Is(err, os.ErrNotExist) {
		return c
	}
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Offset < 0 {
		s.log.Warn("publish: spool cursor unreadable; replaying the whole spool", "err", err)
		return cursor{}
	}
	return c
}

// scan counts the frames of segment id and places its acknowledged point at ackOff. A torn or
// corrupt frame and everything after it is cut off (reported as bad).
func (s *spool) scan(id uint64, ackOff int64) (*segment, bool, error) {
	f, err := os.OpenFile(s.path(id), os.O_RDWR, 0)
	if err != nil {
		return nil, false, fmt.Errorf("publish: spool: %w", err)
	}
	defer f.Close()
	seg := &segment{id: id}
	br := bufio.NewReaderSize(f, 1<<20)
	var hdr [frameHeader]byte
	var buf []byte
	onBoundary := ackOff == 0
	bad := false
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			bad = err != io.EOF
			break
		}
		n := binary.LittleEndian.Uint32(hdr[:])
		if n == 0 || n > maxFrame {
			bad = true
			break
		}
		buf = slices.Grow(buf[:0], int(n))[:n]
		if _, err := io.ReadFull(br, buf); err != nil ||
			crc32.Checksum(buf, crcTable) != binary.LittleEndian.Uint32(hdr[4:]) {
			bad = true
			break
		}
		seg.size += frameHeader + int64(n)
		seg.count++
		if seg.size == ackOff {
			seg.acked, onBoundary = seg.count, true
		}
	}
	if bad {
		s.log.Warn("publish: spool segment has a torn or corrupt tail; cutting it off",
			"segment", filepath.Base(f.Name()), "valid_bytes", seg.size)
		if err := f.Truncate(seg.size); err != nil {
			seg.sealed = true // appending after the garbage would hide new frames behind it
		}
	}
	switch {
	case ackOff >= seg.size: // the cursor is at or past the end (a lost tail was sent already)
		seg.acked = seg.count
	case !onBoundary:
		s.log.Warn("publish: spool cursor is not on a frame boundary; replaying the segment",
			"segment", filepath.Base(f.Name()))
		seg.acked = 0
	}
	if seg.acked == 0 {
		ackOff = 0
	}
	seg.ackOff, seg.read, seg.readOff = min(ackOff, seg.size), seg.acked, min(ackOff, seg.size)
	return seg, bad, nil
}

func (s *spool) remove(id uint64) {
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("publish: spool: removing a segment", "err", err)
	}
}

func (s *spool) tail() *segment {
	if len(s.segs) == 0 {
		return nil
	}
	return s.segs[len(s.segs)-1]
}

// pending is the number of results not yet acknowledged (in flight included).
func (s *spool) pending() int {
	n := 0
	for _, g := range s.segs {
		n += g.count - g.acked
	}
	return n
}

// unread is the number of results not yet handed to the sender.
func (s *spool) unread() int {
	n := 0
	for _, g := range s.segs {
		n += g.count - g.read
	}
	return n
}

// gone reports whether segment id was removed (dropped at the bound, or acknowledged).
func (s *spool) gone(id uint64) bool {
	return len(s.segs) == 0 || id < s.segs[0].id
}

func (s *spool) find(id uint64) *segment {
	for _, g := range s.segs {
		if g.id == id {
			return g
		}
	}
	return nil
}

// append writes frames holding n results at the tail. To stay within the bound it first drops
// the oldest segments; it returns how many results they held that were not yet in flight.
func (s *spool) append(frames []byte, n int) (dropped int, err error) {
	size := int64(len(frames))
	t := s.tail()
	if t == nil || t.sealed || t.size >= s.segBytes ||
		(len(s.segs) == 1 && t.size > 0 && s.bytes+size > s.maxBytes) {
		if err := s.rotate(); err != nil {
			return 0, err
		}
		t = s.tail()
	} else if s.w == nil {
		if s.w, err = os.OpenFile(s.path(t.id), os.O_WRONLY|os.O_APPEND, 0); err != nil {
			t.sealed = true
			return 0, fmt.Errorf("publish: spool: %w", err)
		}
	}
	for s.bytes+size > s.maxBytes && len(s.segs) > 1 {
		dropped += s.dropHead()
	}
	if _, err := s.w.Write(frames); err != nil {
		// Keep only whole frames: cut the partial write off, or if that fails too, stop
		// appending to this segment (its valid size is known; the next write rotates).
		if terr := s.w.Truncate(t.size); terr != nil {
			t.sealed = true
		}
		return dropped, fmt.Errorf("publish: spool: %w", err)
	}
	t.size += size
	t.count += n
	s.bytes += size
	return dropped, nil
}

// rotate fsyncs and closes the tail and starts a new segment.
func (s *spool) rotate() error {
	if s.w != nil {
		if err := s.w.Sync(); err != nil {
			s.log.Error("publish: spool: fsync", "err", err)
		}
		s.w.Close()
		s.w = nil
	}
	id := s.nextID
	f, err := os.OpenFile(s.path(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("publish: spool: %w", err)
	}
	s.nextID++
	s.syncDir()
	s.w = f
	s.segs = append(s.segs, &segment{id: id})
	return nil
}

func (s *spool) syncDir() {
	d, err := os.Open(s.dir)
	if err != nil {
		return
	}
	_ = d.Sync() // best effort: some filesystems refuse fsync on directories
	d.Close()
}

// dropHead deletes the oldest segment and returns the results in it not handed to the sender.
// Those in flight are settled by the sender: sent if their request succeeds, dropped if not.
func (s *spool) dropHead() int {
	g := s.segs[0]
	s.segs = slices.Delete(s.segs, 0, 1)
	if len(s.segs) == 0 && s.w != nil {
		s.w.Close()
		s.w = nil
	}
	s.remove(g.id)
	s.bytes -= g.size
	return g.count - g.read
}

// firstUnread returns a copy of the first segment with frames not yet handed out.
func (s *spool) firstUnread() (segment, bool) {
	for _, g := range s.segs {
		if g.read < g.count {
			return *g, true
		}
	}
	return segment{}, false
}

// markRead records that n frames of segment id from off up to end were handed out. It
// returns false (and changes nothing) if the segment is gone or was read meanwhile.
func (s *spool) markRead(id uint64, off, end int64, n int) bool {
	g := s.find(id)
	if g == nil || g.readOff != off {
		return false
	}
	g.read += n
	g.readOff = end
	return true
}

// skipRest gives up on the unread frames of segment id (unreadable): the segment now ends
// where reading stopped, and nothing is appended to it any more. It returns how many frames.
func (s *spool) skipRest(id uint64) int {
	g := s.find(id)
	if g == nil {
		return 0
	}
	n := g.count - g.read
	g.count = g.read
	g.sealed = true
	s.collect()
	return n
}

// rewind hands the in-flight frames back: they will be read again.
func (s *spool) rewind() {
	for _, g := range s.segs {
		g.read, g.readOff = g.acked, g.ackOff
	}
}

// commit acknowledges everything up to the frame ending at end, the n-th of segment id:
// it persists the cursor, then deletes the segments wholly behind it.
func (s *spool) commit(id uint64, n int, end int64) error {
	g := s.find(id)
	if g == nil {
		return nil // dropped at the bound while in flight; nothing left to acknowledge
	}
	g.acked, g.ackOff = n, end
	err := s.writeCursor(cursor{Segment: id, Offset: end})
	s.collect()
	return err
}

// collect deletes wholly acknowledged segments from the head, except the tail being written.
func (s *spool) collect() {
	for len(s.segs) > 1 && s.segs[0].acked == s.segs[0].count {
		g := s.segs[0]
		s.segs = slices.Delete(s.segs, 0, 1)
		s.remove(g.id)
		s.bytes -= g.size
	}
}

func (s *spool) writeCursor(c cursor) error {
	b, _ := json.Marshal(c)
	tmp := filepath.Join(s.dir, cursorName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("publish: spool cursor: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, cursorName)); err != nil {
		return fmt.Errorf("publish: spool cursor: %w", err)
	}
	return nil
}

// sync fsyncs the tail.
func (s *spool) sync() error {
	if s.w == nil {
		return nil
	}
	if err := s.w.Sync(); err != nil {
		return fmt.Errorf("publish: spool: %w", err)
	}
	return nil
}

func (s *spool) close() error {
	if s.w == nil {
		return nil
	}
	err := s.sync()
	s.w.Close()
	s.w = nil
	return err
}
