package fleet

import (
	"reflect"
	"testing"
)

// A host that hosts=LIST selects twice, by name or tag, is asked once,
// the hosts in inventory order (REFERENCE §12.3).
func TestSelectHostsOnce(t *testing.T) {
	inv := []Host{{Name: "web1", Tags: []string{"web", "eu"}}, {Name: "web2", Tags: []string{"web"}}, {Name: "db1"}}
	for _, tc := range []struct {
		refs []string
		want []int
	}{
		{nil, []int{0, 1, 2}},
		{[]string{"db1", "web1", "web1"}, []int{0, 2}},
		{[]string{"web2", "@web", "@eu"}, []int{0, 1}},
	} {
		got, err := selectHosts(inv, tc.refs)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.refs, got, err, tc.want)
		}
	}
}
