package config

import (
	"math"
	"testing"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec    string
		perDay  float64 // runs a day, when valid
		wantErr string
	}{
		{spec: "@every 60s", perDay: 1440},
		{spec: "@every 5m", perDay: 288},
		{spec: "@every 1d", perDay: 1},
		{spec: "@every 90s", perDay: 960},
		{spec: "@hourly", perDay: 24},
		{spec: "@daily", perDay: 1},
		{spec: "@weekly", perDay: 1.0 / 7},
		{spec: "@monthly", perDay: 12.0 / 365},
		{spec: "*/5 * * * *", perDay: 288},
		{spec: "*/30 * * * * *", perDay: 2880},
		{spec: "0 0 * * * *", perDay: 24},
		{spec: "0 9-17 * * 1-5", perDay: 45.0 / 7},
		{spec: "TZ=Asia/Kolkata 30 9 * * *", perDay: 1},
		{spec: "", wantErr: "empty spec string"},
		{spec: "@every", wantErr: "unrecognized descriptor: @every"},
		{spec: "@every 0s", wantErr: "@every wants a whole number of seconds, at least 1s"},
		{spec: "@every 1.5s", wantErr: "@every wants a whole number of seconds, at least 1s"},
		{spec: "@every soon", wantErr: "@every wants a duration like 60s, 5m or 1d"},
		{spec: "* * *", wantErr: "expected 5 to 6 fields, found 3: [* * *]"},
		{spec: "61 * * * *", wantErr: "end of range (61) above maximum (59): 61"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseSchedule(tc.spec)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("ParseSchedule(%q) error = %v, want %q", tc.spec, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSchedule(%q): %v", tc.spec, err)
			}
			if got := runsPerDay(s); math.Abs(got-tc.perDay) > 1e-9 {
				t.Errorf("runsPerDay(%q) = %v, want %v", tc.spec, got, tc.perDay)
			}
		})
	}
}

func BenchmarkRunsPerDayCron(b *testing.B) {
	s, err := ParseSchedule("*/30 * * * * *")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		runsPerDay(s)
	}
}
