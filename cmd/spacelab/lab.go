package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/scenarios"
)

// A training lab runs in a `spacelab lab start` emulator; the lab's source and language are
// kept in the state directory so that `lab check` and `lab reset` know which lab is running.

// activeLab is what the state directory remembers of the running lab.
type activeLab struct {
	Name   string `json:"name"`
	Lang   string `json:"lang"`
	Source []byte `json:"source"`
}

func activeLabFile(st lab.State) string { return st.LabFile() }

func readActiveLab(st lab.State) (activeLab, error) {
	var a activeLab
	b, err := os.ReadFile(activeLabFile(st))
	if err != nil {
		return a, errors.New("no lab is running here (start one with `spacelab lab start NAME`; `spacelab lab list` lists them)")
	}
	return a, json.Unmarshal(b, &a)
}

// labLabels are the fixed words of the lab output, per language.
var labLabels = map[string]map[string]string{
	"en": {"lab": "Lab", "tasks": "Tasks", "do": "Do", "hint": "Hint", "next": "Next", "done": "done",
		"complete": "Lab complete: every task is done, and the checks passed with real packets.",
		"progress": "%d of %d tasks done.", "check": "Run `spacelab lab check` to see what is done and what is next.",
		"setup": "Looking up the lab's values failed (the checks that use them cannot pass):"},
	"ja": {"lab": "ラボ", "tasks": "タスク", "do": "やること", "hint": "ヒント", "next": "次のタスク", "done": "完了",
		"complete": "ラボ完了: すべてのタスクが終わり、実際のパケットでチェックが通りました。",
		"progress": "%d / %d 個のタスクが完了しています。", "check": "`spacelab lab check` で、終わったタスクと次のタスクを確認できます。",
		"setup": "ラボで使う値の取得に失敗しました (その値を使うチェックは通りません):"},
}

func label(lang, key string) string {
	if m, ok := labLabels[lang]; ok {
		return m[key]
	}
	return labLabels["en"][key]
}

func checkLang(lang string) error {
	if _, ok := labLabels[lang]; !ok {
		return fmt.Errorf("--lang %q: the labs speak en and ja", lang)
	}
	return nil
}

func labCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Training labs: tasks in a running emulator, checked by what you did (list, start, check, reset)",
		Long: `A lab is a hands-on exercise in a running emulator: you do its tasks with the real heroku and
aws CLIs, and "spacelab lab check" tells you which tasks are done, which is next and a hint for it.
A task is done because of the state of the world and the packets of its reachability checks,
not because of the commands you typed. Labs are YAML files (see "spacelab lab list").`,
	}
	cmd.AddCommand(labListCmd(), labStartCmd(), labCheckCmd(), labResetCmd())
	return cmd
}

func labListCmd() *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the shipped labs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLang(lang); err != nil {
				return err
			}
			for _, name := range scenarios.ShippedLabs() {
				l, _, err := scenarios.LoadLab(name)
				if err != nil {
					return err
				}
				fmt.Printf("%-22s %s (%d)\n", name, l.Title.In(lang), len(l.Tasks))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "en", "language of the texts: en or ja")
	return cmd
}

func labStartCmd() *cobra.Command {
	var lang, herokuAddr, awsAddr, token, envFile string
	var debug bool
	cmd := &cobra.Command{
		Use:   "start NAME|FILE",
		Short: "Start the emulator in a lab's world (like `spacelab up`) and print its tasks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLang(lang); err != nil {
				return err
			}
			l, src, err := scenarios.LoadLab(args[0])
			if err != nil {
				return err
			}
			st := lab.DefaultState()
			if st.Running() != 0 {
				return errors.New("spacelab is already running here: stop it with `spacelab down` first")
			}
			if token == "" {
				var b [16]byte
				_, _ = rand.Read(b[:])
				token = "lab-" + hex.EncodeToString(b[:])
			}
			if err := os.MkdirAll(st.Dir, 0o700); err != nil {
				return err
			}
			b, _ := json.Marshal(activeLab{Name: l.Name, Lang: lang, Source: src})
			// Written once its up holds the state lock (ready), so that the next start removes
			// the file of a killed lab start with the rest of its leftovers (lab.State).
			defer os.Remove(activeLabFile(st))
			o := upOptions{topoFile: l.Topology, envFile: envFile, herokuAddr: herokuAddr, awsAddr: awsAddr, token: token, debug: debug}
			for {
				restart := make(chan struct{})
				o.restart = restart
				o.control = func(mux *http.ServeMux, lb *lab.Lab) { labControl(mux, lb, restart) }
				o.ready = func(lb *lab.Lab, _ lab.State) {
					// A reset keeps the addresses and token, so the trainee's environment stays valid.
					o.herokuAddr, o.awsAddr = hostPort(lb.HerokuURL), hostPort(lb.AWSURL)
					if err := os.WriteFile(activeLabFile(st), b, 0o600); err != nil {
						fmt.Fprintln(os.Stderr, "spacelab lab start:", err)
					}
					printLabIntro(os.Stdout, l, lang)
				}
				err := runUp(o)
				if err != errRestart {
					return err
				}
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&lang, "lang", "en", "language of the texts: en or ja")
	f.StringVar(&envFile, "env-file", "", "also write the export lines to this file")
	f.StringVar(&herokuAddr, "heroku-listen", defaultHerokuAddr, "address of the fake Heroku API (127.0.0.1 or localhost only)")
	f.StringVar(&awsAddr, "aws-listen", defaultAWSAddr, "address of the fake AWS API")
	f.StringVar(&token, "token", "", "Heroku API token to accept (default: generated)")
	f.BoolVar(&debug, "debug", false, "log everything")
	return cmd
}

func hostPort(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host
	}
	return u
}

func printLabIntro(w io.Writer, l *scenarios.Lab, lang string) {
	fmt.Fprintf(w, "\n# %s: %s\n\n", label(lang, "lab"), l.Title.In(lang))
	if intro := l.Intro.In(lang); intro != "" {
		fmt.Fprintln(w, intro)
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s:\n", label(lang, "tasks"))
	for i, t := range l.Tasks {
		fmt.Fprintf(w, "  %d. %s\n", i+1, t.Title.In(lang))
	}
	fmt.Fprintf(w, "\n%s\n", label(lang, "check"))
}

// labCheckRequest is the body of POST /lab/check on the control socket.
type labCheckRequest struct {
	Source []byte `json:"source"`
	Lang   string `json:"lang"`
}

// labControl adds the lab endpoints to the control socket of a running lab: POST /lab/check
// evaluates a lab against this emulator, POST /lab/reset restarts it in the lab's world.
func labControl(mux *http.ServeMux, l *lab.Lab, restart chan struct{}) {
	mux.HandleFunc("POST /lab/check", func(w http.ResponseWriter, r *http.Request) {
		var req labCheckRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "lab check: "+err.Error(), http.StatusBadRequest)
			return
		}
		lb, err := scenarios.ParseLab(req.Source)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		run := &scenarios.Runner{Lab: l}
		rep := run.CheckLab(r.Context(), lb, req.Lang)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rep)
	})
	var boot [8]byte
	_, _ = rand.Read(boot[:])
	mux.HandleFunc("GET /lab/ready", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, hex.EncodeToString(boot[:]))
	})
	var once bool
	mux.HandleFunc("POST /lab/reset", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		if !once {
			once = true
			close(restart)
		}
	})
}

func labCheckCmd() *cobra.Command {
	var lang string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the running lab: which tasks are done, which is next, a hint, and the packets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			a, err := readActiveLab(st)
			if err != nil {
				return err
			}
			if lang == "" {
				lang = a.Lang
			}
			if err := checkLang(lang); err != nil {
				return err
			}
			body, _ := json.Marshal(labCheckRequest{Source: a.Source, Lang: lang})
			resp, err := control(st).Post("http://spacelab/lab/check", "application/json", bytes.NewReader(body))
			if err != nil {
				return fmt.Errorf("lab check: %w", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("lab check: %s", strings.TrimSpace(string(b)))
			}
			var rep scenarios.LabReport
			if err := json.Unmarshal(b, &rep); err != nil {
				return fmt.Errorf("lab check: %w", err)
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printLabReport(os.Stdout, rep)
			return nil
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "", "language of the texts: en or ja (default: the one of lab start)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func printLabReport(w io.Writer, rep scenarios.LabReport) {
	lang := rep.Lang
	fmt.Fprintf(w, "%s: %s\n\n", label(lang, "lab"), rep.Title)
	var failedSetup []scenarios.StepReport
	for _, s := range rep.Setup {
		if !s.OK {
			failedSetup = append(failedSetup, s)
		}
	}
	if len(failedSetup) > 0 {
		fmt.Fprintln(w, label(lang, "setup"))
		for _, s := range failedSetup {
			printStep(w, s, "  ")
		}
		fmt.Fprintln(w)
	}
	done := 0
	for _, t := range rep.Tasks {
		mark := "[ ]"
		if t.Done {
			mark = "[x]"
			done++
		}
		fmt.Fprintf(w, "%s %d. %s\n", mark, t.N, t.Title)
		for _, c := range t.Checks {
			if t.Done || t.N == rep.Next {
				printStep(w, c, "      ")
			}
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, label(lang, "progress")+"\n", done, len(rep.Tasks))
	if rep.Complete {
		fmt.Fprintln(w, label(lang, "complete"))
		return
	}
	t := rep.Tasks[rep.Next-1]
	fmt.Fprintf(w, "\n%s: %d. %s\n", label(lang, "next"), t.N, t.Title)
	if t.Do != "" {
		fmt.Fprintf(w, "%s:\n%s\n", label(lang, "do"), indent(t.Do, "    "))
	}
	if t.Hint != "" {
		fmt.Fprintf(w, "%s:\n%s\n", label(lang, "hint"), indent(t.Hint, "    "))
	}
}

func printStep(w io.Writer, s scenarios.StepReport, pre string) {
	mark := "ok  "
	if !s.OK {
		mark = "FAIL"
	}
	fmt.Fprintf(w, "%s[%s] %s\n", pre, mark, s.Name)
	if s.Detail != "" {
		fmt.Fprintln(w, indent(s.Detail, pre+"       "))
	}
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n")
}

func labResetCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reset",
		Short: "Start the running lab over: a fresh emulator in the lab's world, same addresses and token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			a, err := readActiveLab(st)
			if err != nil {
				return err
			}
			before := labBoot(st)
			resp, err := control(st).Post("http://spacelab/lab/reset", "", nil)
			if err != nil {
				return fmt.Errorf("lab reset: %w", err)
			}
			resp.Body.Close()
			// The lab restarts: wait for the new emulator's control socket to answer.
			deadline := time.Now().Add(2 * time.Minute)
			for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
				time.Sleep(delay)
				if b := labBoot(st); b != "" && b != before {
					break
				}
				if time.Now().After(deadline) {
					return errors.New("lab reset: the lab did not come back within 2 minutes (see the terminal of `spacelab lab start`)")
				}
			}
			fmt.Fprintf(os.Stderr, "spacelab lab reset: %s starts over\n", a.Name)
			return nil
		},
	}
}

// labBoot is the boot id of the running lab's emulator, empty when it does not answer.
func labBoot(st lab.State) string {
	r, err := control(st).Get("http://spacelab/lab/ready")
	if err != nil {
		return ""
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		return ""
	}
	return string(b)
}
