"""Lead-stage conversions: when the owner moves a lead into a stage that has its own Google Ads
conversion action (GOOGLE_ADS_STAGE_ACTIONS, e.g. CONTACTED = qualified lead), one conversion row
is written for it; the uploader sends it like a sale, once, with its own transaction id."""

from __future__ import annotations

from typing import Any

from eslamed.conversions.sale import stage_conversion_id, stage_row
from eslamed.conversions.settings import ads_config
from eslamed.core.clock import utc_now
from eslamed.core.config import Settings
from eslamed.core.sql import conversions as sql
from eslamed.core.store import Store

SALE_STAGE = "CONVERTED"
"""The sale itself ('Satış Onayla'): its row carries the sale's revenue, not a stage value."""


def record_stage(store: Store, settings: Settings, lead: dict[str, Any], status: str) -> bool:
    """Write the stage's conversion unless the lead already has it; True when one was written."""
    action = ads_config(settings).stage_action(status)
    if action is None or status == SALE_STAGE:
        return False
    cid = stage_conversion_id(str(lead["lead_id"]), status)
    if store.query_dicts(sql.BY_IDS.format(db=store.database), {"ids": (cid,)}):
        return False
    store.insert_rows("conversions", [stage_row(lead, status, action.action_id, action.value, utc_now())])
    return True


def sale_action_id(settings: Settings) -> str:
    """The CONVERTED stage's own action for sales, or '' for GOOGLE_ADS_CONVERSION_ACTION_ID."""
    action = ads_config(settings).stage_action(SALE_STAGE)
    return action.action_id if action else ""
