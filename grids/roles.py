"""Which Django group each role's login users belong to.

The groups and their permissions are created by migration
grids/0002_role_groups; services.sync_user_groups keeps membership in step
with current assignments. Group names are data shown in the admin.
"""

from grids.models import Role

STREET_OFFICIALS = "街道干部"
COMMUNITY_STAFF = "社区工作者"
GRID_STAFF = "网格员"
MICRO_GRID_STAFF = "微网格员"
STAIRWELL_TEAM = "楼道一长二员"
VOLUNTEERS = "储备力量与志愿者"

ROLE_GROUP: dict[str, str] = {
    Role.STREET_OFFICIAL: STREET_OFFICIALS,
    Role.COMMUNITY_SECRETARY: COMMUNITY_STAFF,
    Role.COMMUNITY_WORKER: COMMUNITY_STAFF,
    Role.GRID_LEADER: GRID_STAFF,
    Role.FULL_TIME_GRID_WORKER: GRID_STAFF,
    Role.PART_TIME_GRID_WORKER: GRID_STAFF,
    Role.MICRO_GRID_LEADER: MICRO_GRID_STAFF,
    Role.MICRO_GRID_MEMBER: MICRO_GRID_STAFF,
    Role.STAIRWELL_LEADER: STAIRWELL_TEAM,
    Role.INFORMATION_OFFICER: STAIRWELL_TEAM,
    Role.LOGISTICS_OFFICER: STAIRWELL_TEAM,
    Role.SECOND_BUILDING_LEADER: STAIRWELL_TEAM,
    Role.RESERVE: VOLUNTEERS,
    Role.VOLUNTEER: VOLUNTEERS,
}
