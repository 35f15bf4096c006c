package emulator

// Dyno states as Heroku's API shows them.
const (
	DynoStarting = "starting" // the process was started and has not bound $PORT yet (web) or the network is not there yet
	DynoUp       = "up"
)

// dynoBoot remembers, per dyno id, the process generation (Dyno.Restarts) whose listener on
// $PORT the data plane saw. It is status, not model: not in snapshots, no generation bump.
type dynoBoot struct {
	listening map[string]int
}

// ReportDynoListening records that the process of dyno id, started for its restarts-th time,
// listens on $PORT.
func (w *World) ReportDynoListening(id string, restarts int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.boot.listening == nil {
		w.boot.listening = map[string]int{}
	}
	w.boot.listening[id] = restarts
}

// DynoState is the state Heroku's API shows for d. Without a data plane it is the model's
// state. With one, a dyno the model has up is starting until the network for it is applied
// and, for a web dyno, until its process was seen listening on $PORT (ReportDynoListening for
// the dyno's current process: a restart starts it again).
func (tx *Tx) DynoState(d *Dyno) string {
	if d.State != DynoUp || !tx.w.dp.attached || !d.PrivateIP.IsValid() {
		return d.State // only a space's dynos (with an address) run in the data plane
	}
	if !tx.DataplaneState(d.ID).Applied() {
		return DynoStarting
	}
	if d.Type == "web" {
		if r, ok := tx.w.boot.listening[d.ID]; !ok || r != d.Restarts {
			return DynoStarting
		}
	}
	return DynoUp
}

// DynosAwaitingListener are the up web dynos whose network is applied and whose current
// process has not been seen listening yet: the ones a data plane should look at.
func (tx *Tx) DynosAwaitingListener() []*Dyno {
	if !tx.w.dp.attached {
		return nil
	}
	var out []*Dyno
	for _, app := range tx.Apps() {
		for _, d := range app.Dynos {
			if d.State == DynoUp && d.Type == "web" && d.PrivateIP.IsValid() && tx.DynoState(d) == DynoStarting && tx.DataplaneState(d.ID).Applied() {
				out = append(out, d)
			}
		}
	}
	return out
}
