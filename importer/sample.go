package importer

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// Sample files (B1): the header every file of a kind needs, the optional columns, and rows
// that show what the cells hold.

func sampleRows(kind Kind) ([][]string, error) {
	switch kind {
	case KindPeople:
		return [][]string{
			{"name", "email", "phone", "organization", "site", "external_id", "first_name", "last_name", "username", "timezone", "locale", "notes", "web_access", "machine", "do_not_email"},
			{"Ada Lovelace", "ada@example.com", "+44 20 7946 0958", "Example Ltd", "London", "crm-1001", "", "", "ada", "Europe/London", "en-GB", "Prefers email", "own", "no", "no"},
			{"Grace Hopper", "grace@example.com", "+1 202 555 0143", "Example Ltd", "Washington", "crm-1002", "", "", "grace", "America/New_York", "en-US", "", "organization", "no", "no"},
		}, nil
	case KindOrganizations:
		return [][]string{
			{"name", "site", "domains", "external_id", "notes", "site_timezone", "site_street", "site_city", "site_region", "site_postal_code", "site_country"},
			{"Example Ltd", "London", "example.com example.co.uk", "erp-17", "Key account", "Europe/London", "1 Example Street", "London", "", "EC1A 1AA", "GB"},
			{"Example Ltd", "Washington", "", "", "", "America/New_York", "100 Main Street", "Washington", "DC", "20001", "US"},
		}, nil
	}
	return nil, fmt.Errorf("unknown kind %q: people or organizations", kind)
}

// WriteSample writes the sample file of a kind, as CSV or XLSX.
func WriteSample(w io.Writer, kind Kind, format string) error {
	rows, err := sampleRows(kind)
	if err != nil {
		return err
	}
	switch format {
	case "", FormatCSV:
		cw := csv.NewWriter(w)
		cw.WriteAll(rows)
		return cw.Error()
	case FormatXLSX:
		f := excelize.NewFile()
		defer f.Close()
		sheet := f.GetSheetName(0)
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			vals := make([]any, len(row))
			for j, v := range row {
				vals[j] = v
			}
			if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
				return err
			}
		}
		_, err := f.WriteTo(w)
		return err
	}
	return fmt.Errorf("unknown sample format %q: csv or xlsx", format)
}
