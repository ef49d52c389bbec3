package api

import (
	"net/http"
	"strconv"

	"frontdesk"
)

// Directory sources (B5): LDAP directories people are synced from, their previews and
// runs. The bind password goes in and never comes back out (bind_password_set says whether
// one is stored).

func (s *Server) listDirectories(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Directory.Sources(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(list, 0))
	return nil
}

func (s *Server) createDirectory(w http.ResponseWriter, r *http.Request) error {
	var in frontdesk.DirectorySourceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	src, err := s.cfg.Directory.SaveSource(r.Context(), 0, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, src)
	return nil
}

func (s *Server) getDirectory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	src, err := s.cfg.Directory.Source(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) updateDirectory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in frontdesk.DirectorySourceInput
	if err := decode(r, &in); err != nil {
		return err
	}
	src, err := s.cfg.Directory.SaveSource(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) deleteDirectory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Directory.DeleteSource(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// previewDirectory reads the directory and answers the run with what would change. A
// directory that cannot be read gives a run in state failed with the reason.
func (s *Server) previewDirectory(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := s.cfg.Directory.Preview(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, run)
	return nil
}

func (s *Server) listDirectoryRuns(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	runs, err := s.cfg.Directory.Runs(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(runs, 0))
	return nil
}

func runID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("run"), 10, 64)
	if err != nil || id <= 0 {
		return 0, frontdesk.Errorf(frontdesk.ENotFound, "%q is not a run id", r.PathValue("run"))
	}
	return id, nil
}

func (s *Server) getDirectoryRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rid, err := runID(r)
	if err != nil {
		return err
	}
	run, err := s.cfg.Directory.GetRun(r.Context(), id, rid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}

// applyDirectoryRun confirms a preview. When the directory or the people changed since, it
// answers 409 with the id of the new preview (run_id) and applies nothing.
func (s *Server) applyDirectoryRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	rid, err := runID(r)
	if err != nil {
		return err
	}
	run, err := s.cfg.Directory.Apply(r.Context(), id, rid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run)
	return nil
}
