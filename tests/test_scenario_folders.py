"""Scenario folders layered (issue 17): the shipped scenarios plus a service's own folder, with the safety,
questionnaire and matching files found in either; what was loaded is logged at start (ids and file names)."""

from __future__ import annotations

from pathlib import Path

from server.config import SHIPPED_SCENARIOS, Config, scenario_data, scenario_folders
from wire import scenario as wsc

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "scenario_fixtures" / "minimal.yaml").read_text()


def own_folder(tmp_path: Path) -> Path:
    """A service's folder with one scenario of its own and nothing else (no safety/, no questionnaires/)."""
    own = tmp_path / "own"
    own.mkdir()
    (own / "phone_call.yaml").write_text(MINIMAL.replace("id: minimal", "id: phone_call").replace("Minimal", "A call"))
    return own


def test_folders_and_data_files_are_layered(tmp_path):
    own = own_folder(tmp_path)
    cfg = Config(scenarios_dir=str(own))
    assert scenario_folders(cfg) == [SHIPPED_SCENARIOS, own]
    assert scenario_folders(Config(scenarios_dir=str(own), scenarios_mode="replace")) == [own]
    assert scenario_folders(Config()) == [SHIPPED_SCENARIOS]  # the default folder is read once
    # a data file the service has is its own; one it lacks is the shipped one
    assert scenario_data(cfg, "safety/crisis_phrases.yaml") == SHIPPED_SCENARIOS / "safety" / "crisis_phrases.yaml"
    (own / "safety").mkdir()
    (own / "safety" / "care.yaml").write_text((SHIPPED_SCENARIOS / "safety" / "care.yaml").read_text())
    assert scenario_data(cfg, "safety/care.yaml") == own / "safety" / "care.yaml"
    assert scenario_data(cfg, "questionnaires") == SHIPPED_SCENARIOS / "questionnaires"


async def test_serve_with_a_folder_of_ones_own_offers_both_and_logs_what_it_loaded(server_process, tmp_path):
    from client.bot import Bot

    own = own_folder(tmp_path)
    # the service's own version of a shipped scenario replaces it
    (own / "my_interview.yaml").write_text(
        MINIMAL.replace("id: minimal", "id: job_interview").replace("Minimal", "Our interview")
    )
    srv = server_process(PEERSPACE_SCENARIOS_DIR=str(own))
    assert srv.cli("user", "add", "Robin", "--password", "a long pass").returncode == 0
    srv.start()  # before: PhraseFileError ... crisis_phrases.yaml, and the process exited
    bot = Bot(srv.url)
    await bot.login("Robin", "a long pass")
    await bot.connect()
    await bot.join("cafe")
    listed = {s["id"]: s["title"] for s in (await bot.call(wsc.SCENARIO_LIST))["scenarios"]}
    assert listed["phone_call"] == "A call" and listed["job_interview"] == "Our interview"
    assert "starting_a_conversation" in listed  # the shipped ones are still offered
    await bot.close()
    srv.stop()
    log = (tmp_path / f"server-{srv.port}.log").read_text()
    assert "Traceback" not in log
    assert f"scenarios loaded from {own}: 2: job_interview (my_interview.yaml), phone_call (phone_call.yaml)" in log
    assert f"scenarios loaded from {SHIPPED_SCENARIOS}: 6: asking_for_help (asking_for_help.yaml)," in log
    assert f"scenario job_interview from {own / 'my_interview.yaml'} replaces the one from" in log
    assert f"safety/crisis_phrases.yaml: none in {own}, the shipped" in log
    assert f"questionnaires: none in {own}, the shipped" in log
    # no scenario content in the log
    assert "Greeting people helps" not in log and "Hi there" not in log


def test_a_broken_data_file_of_ones_own_stops_serve_with_its_name_not_a_traceback(server_process, tmp_path):
    own = own_folder(tmp_path)
    (own / "safety").mkdir()
    (own / "safety" / "crisis_phrases.yaml").write_text("phrases: 3\n")
    srv = server_process(PEERSPACE_SCENARIOS_DIR=str(own))
    out = srv.cli("serve", "--port", "0")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert f"peerspace: not started: {own / 'safety' / 'crisis_phrases.yaml'}: " in out.stderr, out.stderr
