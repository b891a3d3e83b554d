"""The household register's columns: every header the public population forms write.

One table, each header with the field it means: the platform's own template
(the label), the census short and long forms (普查表短表/长表: 姓名, 与户主关系,
公民身份号码, 性别, 出生年月, 民族, 普查时点居住地, 户口登记地, with their R1./D1.
numbers), the 常住人口登记表 (户别, 户主姓名 …), the 全员人口信息采集 and 流动人口登记
forms (户编码, 户所在地, 现住址, 户籍地址, 手机号 …) and the spellings registers
have been seen with. A header is compared after common.tabular.normalise_header:
bracketed notes, question numbers, spaces and full-width forms do not count.
A header not here (文化程度, 婚姻状况, 登记日期 …) is a column the import leaves out
and the preview lists.
"""

from __future__ import annotations

from common.tabular import Column, Columns

REGISTER_COLUMNS = Columns(
    [
        Column("number", "户号", ("户编号", "户编码", "户代码")),
        Column("household_kind", "户别", ("户类型", "户类别")),
        Column("head_name", "户主姓名", ("户主",)),
        Column("name", "姓名", ("人员姓名", "居民姓名", "成员姓名")),
        Column("sex", "性别"),
        Column("ethnicity", "民族", ("族别",)),
        Column(
            "id_number",
            "公民身份号码",
            (
                "身份证号",
                "身份证号码",
                "公民身份证号",
                "公民身份证号码",
                "身份证件号码",
                "公民身份证件编号",
                "身份号码",
                "证件号码",
                "证件号",
            ),
        ),
        Column("birth_date", "出生日期", ("出生年月日", "生日")),
        # Year and month only, as the census asks: checked against the ID number's.
        Column("birth_month", "出生年月"),
        Column("relation", "与户主关系", ("与户主的关系", "户主或与户主关系", "家庭关系", "关系")),
        # Where the person lives: the only column that places them in a flat. (住址 on
        # the 常住人口登记表 is the hukou's address, which for the registered
        # residents a community lists is their flat; 人户分离 is on the other forms.)
        Column(
            "address",
            "现居住地址",
            (
                "现住址",
                "现住地址",
                "现居住地",
                "现居地址",
                "实际居住地址",
                "实际居住地",
                "居住地址",
                "居住地",
                "居住地详址",
                "普查时点居住地",
                "住址",
                "地址",
            ),
            # The household's place on the 全员人口 forms; beside 现住址 often only
            # its division (省市区街道), which places nobody.
            fallbacks=("户所在地",),
            notes_mean=(("户籍", "registered_address"), ("户口", "registered_address")),
        ),
        # Where the person's hukou is: kept, never used to place them (人户分离).
        Column(
            "registered_address",
            "户籍地址",
            (
                "户籍所在地",
                "户籍地",
                "户籍详址",
                "户籍地详址",
                "户口登记地",
                "户口所在地",
                "户口地址",
            ),
        ),
        Column("stairwell_code", "楼道编码"),
        Column("room", "房号", ("室号",)),
        Column(
            "phone",
            "联系电话",
            ("电话", "电话号码", "联系方式", "联系号码", "手机", "手机号", "手机号码", "移动电话"),
        ),
        Column("political", "政治面貌"),
        Column("residence_type", "人口类型", ("户籍类型", "人员类型", "人口类别", "人员类别")),
        Column("housing_status", "房屋性质", ("房屋用途",)),
        Column("area", "建筑面积", ("专有部分面积", "面积")),
    ],
    required=("name", "id_number"),
)
# The columns that say where a row's household lives; a register needs one of them.
PLACING_COLUMNS = ("address", "stairwell_code")
