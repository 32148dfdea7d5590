package fluxq

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/collector/influx"
)

func TestTagValues(t *testing.T) {
	t.Parallel()
	for _, tag := range []string{influx.TagProvider, influx.TagModel, influx.TagRegion, influx.TagVantage} {
		t.Run(tag, func(t *testing.T) {
			t.Parallel()
			q := TagValues("accesswatch/autogen", tag, Range{Start: "v.timeRangeStart"})
			if err := Check(q); err != nil {
				t.Errorf("Check: %v\n%s", err, q)
			}
			if !strings.Contains(q, `distinct(column: "`+tag+`")`) {
				t.Errorf("query does not ask for tag %q:\n%s", tag, q)
			}
			golden(t, filepath.Join("testdata", "grafana", "tag_values_"+tag+".flux"), q)
		})
	}
	t.Run("unknown tag fails Check", func(t *testing.T) {
		if err := Check(TagValues("b", "no_such_tag", Last("1h"))); err == nil {
			t.Error("Check accepted a tag the schema does not have")
		}
	})
}
