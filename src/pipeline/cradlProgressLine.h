#ifndef cradlProgressLine_h
#define cradlProgressLine_h

#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace cradl_pipeline
{

// Progress with rate and ETA on stderr. On a terminal one line is redrawn in
// place; otherwise (a log file, nohup, a scheduler, CI) a full line is
// written each time `done` passes the next multiple of `logEvery`, so that a
// long run shows signs of life without flooding its log.
class ProgressLine
{
public:
  ProgressLine(std::string stage, double total, double logEvery = 1.0)
    : m_Stage(std::move(stage))
    , m_Total(total)
    , m_LogEvery(logEvery)
    , m_Start(std::chrono::steady_clock::now())
    , m_Terminal(isatty(STDERR_FILENO) != 0)
  {}
  void
  update(double done, const std::string & detail = "")
  {
    if (!m_Terminal)
    {
      if (done < m_NextLogged)
        return;
      while (m_NextLogged <= done)
        m_NextLogged += m_LogEvery;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_Start).count();
    const double rate = done > 0 && seconds > 0 ? done / seconds : 0.0;
    const double eta = rate > 0 ? (m_Total - done) / rate : 0.0;
    std::fprintf(stderr, "%scradl: %s %3.0f%% (%.0f/%.0f) %.2f/s ETA %.0fs %s%s", m_Terminal ? "\r" : "",
                 m_Stage.c_str(), 100.0 * done / m_Total, done, m_Total, rate, eta, detail.c_str(),
                 m_Terminal ? "   " : "\n");
    std::fflush(stderr);
  }
  ~ProgressLine()
  {
    if (m_Terminal)
      std::fprintf(stderr, "\n");
  }

private:
  std::string                           m_Stage;
  double                                m_Total;
  double                                m_LogEvery;
  double                                m_NextLogged = 0.0;
  std::chrono::steady_clock::time_point m_Start;
  bool                                  m_Terminal;
};

} // namespace cradl_pipeline

#endif
