package main

// The import commands (B1-B4): a local file streams into the database in batches, with a
// progress bar; a crash or ^C leaves a checkpoint that the same command resumes from.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"frontdesk/flow"
	"frontdesk/importer"
	"frontdesk/mail"
)

const importUsage = `Usage:
  frontdesk import people FILE [--dry-run] [--report FILE] [--key email|external_id|username] [--send-welcome]
  frontdesk import organizations FILE [--dry-run] [--report FILE]
  frontdesk import sample people|organizations [--format csv|xlsx]

Exit status: 0 when every row landed, 1 when some were rejected, 2 when the file could not be read.
`

// importMemoryLimit is the Go heap's soft limit during an import.
const importMemoryLimit = 80 << 20

// exitError ends the command with a status other than 1; a nil err prints nothing more.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, importUsage)
		return nil
	}
	switch args[0] {
	case "people", "organizations":
		return importRun(ctx, importer.Kind(args[0]), args[1:], stdout, stderr)
	case "sample":
		return importSample(args[1:], stdout)
	}
	return fmt.Errorf("unknown command import %s\n%s", args[0], importUsage)
}

// splitFile takes the FILE argument out of args, wherever it stands among the flags.
func splitFile(args []string, boolFlags ...string) (string, []string, error) {
	var file string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			rest = append(rest, a)
			name := strings.TrimLeft(a, "-")
			isBool := false
			for _, b := range boolFlags {
				isBool = isBool || name == b
			}
			if !strings.Contains(a, "=") && !isBool && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
			continue
		}
		if file != "" {
			return "", nil, fmt.Errorf("one file at a time: %q and %q", file, a)
		}
		file = a
	}
	if file == "" {
		return "", nil, errors.New("which file? " + strings.SplitN(importUsage, "\n", 3)[1])
	}
	return file, rest, nil
}

func importRun(ctx context.Context, kind importer.Kind, args []string, stdout, stderr io.Writer) error {
	file, rest, err := splitFile(args, "dry-run", "send-welcome")
	if err != nil {
		return err
	}
	var opts importer.Options
	var report string
	cfg, err := parse("import "+string(kind), rest, func(fs *flag.FlagSet) {
		fs.BoolVar(&opts.DryRun, "dry-run", false, "validate and report, write nothing")
		fs.StringVar(&report, "report", "", "write the rejected rows (line, column, reason, cells) to this CSV file")
		if kind == importer.KindPeople {
			fs.StringVar(&opts.Key, "key", "", "the column that finds existing people: email, external_id or username (default: the import_key setting)")
			fs.BoolVar(&opts.SendWelcome, "send-welcome", false, "send the welcome email to each new contact with help center access")
		}
	})
	if err != nil {
		return err
	}
	opts.Kind = kind
	// B4: flat memory. The import's own state is small (a batch, and twelve bytes a row for
	// the keys seen); a soft limit keeps the collector from letting garbage double the heap.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(importMemoryLimit)
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	mailer, err := mail.New(db, mail.Config{From: cfg.MailFrom, HelpdeskURL: cfg.HelpdeskURL})
	if err != nil {
		return err
	}
	flows := flow.New(db, mailer, cfg.HelpdeskURL)
	flows.PhoneRegion = cfg.PhoneRegion
	im := importer.New(db, flows)

	progress, done := progressTo(stderr, file)
	result, err := im.ImportFile(ctx, file, opts, progress)
	done()
	if err != nil {
		if importer.IsFileError(err) {
			return &exitError{code: 2, err: err}
		}
		return err
	}
	c := result.Counts
	fmt.Fprintf(stdout, "import %d of %s: %d rows: %d created, %d updated, %d unchanged, %d rejected\n",
		result.ID, result.FileName, c.Rows, c.Created, c.Updated, c.Unchanged, c.Rejected)
	if len(result.UnknownHeaders) > 0 {
		fmt.Fprintf(stdout, "unknown columns, not imported: %s\n", strings.Join(result.UnknownHeaders, ", "))
	}
	if opts.DryRun {
		fmt.Fprintln(stdout, "dry run: nothing was written")
	}
	if report != "" {
		f, err := os.Create(report)
		if err != nil {
			return err
		}
		err = im.WriteRejections(ctx, result.ID, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rejected rows written to %s\n", report)
	}
	if c.Rejected > 0 {
		if report == "" {
			fmt.Fprintf(stdout, "some rows were rejected; --report FILE lists them with line, column and reason\n")
		}
		return &exitError{code: 1}
	}
	return nil
}

// progressTo reports progress on w: a bar by bytes when w is a terminal, else a plain line
// every few seconds.
func progressTo(w io.Writer, file string) (func(*importer.Import), func()) {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			var bar *progressbar.ProgressBar
			return func(im *importer.Import) {
					if bar == nil {
						max := im.Size
						if im.Format != importer.FormatCSV {
							max = -1 // a workbook's rows are not read in file order: a spinner
						}
						bar = progressbar.NewOptions64(max, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("importing "+file),
							progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true), progressbar.OptionThrottle(100*time.Millisecond),
							progressbar.OptionFullWidth(), progressbar.OptionSetRenderBlankState(true))
					}
					if im.Format == importer.FormatCSV {
						bar.Set64(im.BytesDone)
					} else {
						bar.Add(1)
					}
				}, func() {
					if bar != nil {
						bar.Finish()
						fmt.Fprintln(w)
					}
				}
		}
	}
	var last time.Time
	return func(im *importer.Import) {
		if time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		pct := ""
		if im.Size > 0 && im.BytesDone > 0 {
			pct = fmt.Sprintf(" (%d%% of %d bytes)", im.BytesDone*100/im.Size, im.Size)
		}
		fmt.Fprintf(w, "import %d: %d rows done%s: %d created, %d updated, %d unchanged, %d rejected\n", im.ID, im.RowsDone, pct,
			im.Counts.Created, im.Counts.Updated, im.Counts.Unchanged, im.Counts.Rejected)
	}, func() {}
}

func importSample(args []string, stdout io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("which sample? frontdesk import sample people|organizations [--format csv|xlsx]")
	}
	kind := importer.Kind(args[0])
	fs := flag.NewFlagSet("frontdesk import sample", flag.ContinueOnError)
	format := fs.String("format", "csv", "csv or xlsx")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return importer.WriteSample(stdout, kind, *format)
}
