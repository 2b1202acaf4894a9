package inventory_test

import (
	"strings"
	"testing"

	"github.com/harmtrace/harmtrace/internal/inventory"
)

func TestReadCSV(t *testing.T) {
	items, err := inventory.ReadCSV(strings.NewReader("\ufeffProduct,VENDOR,cpe\nExchange Server 2019,Microsoft Corporation,\n,,\n,,cpe:/a:git-scm:git:2.40.0\n"), "identity--o")
	if err != nil || len(items) != 2 {
		t.Fatalf("%+v %v", items, err)
	}
	if items[0].VendorKey != "microsoft" || items[0].ProductKey != "exchangeserver" || items[1].VendorKey != "git" || items[1].Version != "2.40.0" ||
		items[1].Product != "git" || items[1].OrganisationID != "identity--o" {
		t.Fatalf("items: %+v", items)
	}
	for name, bad := range map[string]string{
		"no header columns":       "name,version\nx,1\n",
		"a row without a product": "vendor,product\nMicrosoft,Exchange\nApache,\n",
		"a bad CPE":               "vendor,product,cpe\nx,y,cpe:2.3:a:*:*\n",
	} {
		_, err := inventory.ReadCSV(strings.NewReader(bad), "identity--o")
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		if name == "a row without a product" && !strings.Contains(err.Error(), "line 3") {
			t.Errorf("%s: %v does not name line 3", name, err)
		}
	}
}
